//! Bulk issuance through the running service: a cohort as CSV or JSON, each
//! row issued once (a re-run issues nothing new), bad rows named before
//! anything starts, the limits named, a replica killed in the middle of
//! a job losing and doubling nothing, learners' own requests racing their
//! rows, the credential service of Sunbird RC mode losing answers, and a
//! job cancelled while it runs.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use certificate_system_tests::{app_command, consume, with, Behaviour, Stack, TestApp, KAFKA_BROKERS};
use serde_json::{json, Value};
use uuid::Uuid;

const HEADER: &str = "userId,courseId,courseName,firstName,lastName,issuanceDate,expirationDate";

/// `count` learners of one course, as CSV with its header line.
fn cohort(count: usize, course_id: &str) -> String {
    cohort_of(&(0..count).map(|_| Uuid::new_v4()).collect::<Vec<_>>(), course_id)
}

fn cohort_of(learners: &[Uuid], course_id: &str) -> String {
    let rows = (0..).zip(learners).map(|(n, learner)| {
        format!("{learner},{course_id},\"Rust, for all\",Learner,No {n},2026-01-01T00:00:00Z,2099-01-01T00:00:00Z")
    });
    std::iter::once(HEADER.to_owned()).chain(rows).collect::<Vec<_>>().join("\n") + "\n"
}

/// The single issue request of the `n`th learner of [`cohort_of`].
fn single_request(learner: Uuid, n: usize, course_id: &str) -> Value {
    json!({"userId": learner, "courseId": course_id, "courseName": "Rust, for all", "firstName": "Learner",
           "lastName": format!("No {n}"), "issuanceDate": "2026-01-01T00:00:00Z", "expirationDate": "2099-01-01T00:00:00Z"})
}

/// Each learner's certificate id, from a job's report.
async fn certificates_of_rows(app: &TestApp, url: &str) -> HashMap<String, String> {
    let report = app.get(url).await.body["data"]["rows"].clone();
    let rows = report.as_array().unwrap().iter();
    rows.map(|row| (row["userId"].as_str().unwrap().to_owned(), row["certificateId"].as_str().unwrap().to_owned()))
        .collect()
}

async fn submitted(app: &TestApp, content_type: &str, body: &str) -> (u16, Value, Option<String>) {
    let raw = app.send_raw("POST", "/certificate/issue/bulk", content_type, body.as_bytes().to_vec(), &[]).await;
    let location = raw.header("location").map(str::to_owned);
    (raw.status, serde_json::from_slice(&raw.body).unwrap_or(Value::Null), location)
}

/// Polls the job's summary until it is done (or `timeout`).
async fn finished(app: &TestApp, url: &str, timeout: Duration) -> Value {
    let started = Instant::now();
    loop {
        let answer = app.get(&format!("{url}?rows=false")).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        if answer.body["data"]["state"] == "done" || started.elapsed() > timeout {
            return answer.body["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cohort_is_issued_once_each_its_events_go_out_and_the_same_file_again_issues_nothing_new() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(stack.local_issuer_env(&[])).await;
    let csv = cohort(60, "do_cohort");
    let (status, body, location) = submitted(&app, "text/csv", &csv).await;
    assert_eq!(status, 202, "{body}");
    let url = body["data"]["url"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), Some(url.as_str()));
    assert_eq!(body["data"]["rows"], 60);
    let done = finished(&app, &url, Duration::from_secs(60)).await;
    assert_eq!(
        done["counts"],
        json!({"total": 60, "pending": 0, "issued": 60, "alreadyIssued": 0, "failed": 0, "cancelled": 0}),
        "{done}"
    );
    assert!(done["finishedAt"].is_string() && done["rowsPerSecond"].as_f64().unwrap() > 0.0, "{done}");

    let report = app.get(&url).await.body["data"].clone();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 60);
    assert_eq!((rows[0]["row"].as_u64(), rows[0]["outcome"].as_str()), (Some(1), Some("issued")));
    let certificate = rows[7]["certificateId"].as_str().unwrap();
    let verified = app.get(&format!("/certificate/{certificate}/verify")).await;
    assert_eq!(verified.body["data"]["status"], "ISSUED", "a row's certificate is a real one");

    let (_, again, _) = submitted(&app, "text/csv", &csv).await;
    let again = finished(&app, again["data"]["url"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(again["counts"]["alreadyIssued"], 60, "{again}");
    assert_eq!(again["counts"]["issued"], 0);
    app.assert_metrics(&[
        "certificate_bulk_jobs_total 2",
        "certificate_bulk_rows_accepted_total 120",
        "certificate_bulk_rows_total{outcome=\"issued\"} 60",
        "certificate_bulk_rows_total{outcome=\"already_issued\"} 60",
    ])
    .await;

    // One event per certificate, on the course's key; the re-run published none.
    let records = consume(KAFKA_BROKERS, &stack.topic, 60, Duration::from_secs(2), Duration::from_secs(30));
    assert_eq!(records.len(), 60);
    let learners: HashSet<String> =
        records.iter().map(|r| r.value["data"]["userId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(learners.len(), 60);

    let as_csv = app.send_raw("GET", &url, "", vec![], &[("Accept", "text/csv")]).await;
    let text = String::from_utf8(as_csv.body).unwrap();
    assert_eq!(text.lines().next(), Some("row,userId,courseId,outcome,certificateId,error"));
    assert_eq!(text.lines().count(), 61);
    assert!(text.lines().nth(1).unwrap().starts_with("1,"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_row_is_named_nothing_starts_and_the_limits_are_named() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.local_issuer_env(&[]), &[("BULK_MAX_ROWS", "5"), ("BULK_MAX_MIB", "1")])).await;
    let mut lines: Vec<String> = cohort(4, "do_1").lines().map(str::to_owned).collect();
    lines[2] = "not-a-uuid,do_1,Rust,Ada,Lovelace,2026-01-01,2099-01-01".into();
    lines[4] = format!("{},do_1,,Ada,Lovelace,2026-01-01,1999-01-01", Uuid::new_v4());
    let (status, body, _) = submitted(&app, "text/csv", &(lines.join("\n") + "\n")).await;
    assert_eq!(status, 400, "{body}");
    let named: Vec<(u64, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(named, [(2, "userId"), (4, "courseName"), (4, "expirationDate")], "{body}");

    let json_rows = json!([{"userId": Uuid::new_v4(), "courseId": "do_1"}, 7]);
    let (status, body, _) = submitted(&app, "application/json", &json_rows.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"].as_array().unwrap().iter().any(|e| e["row"] == 2 && e["field"] == "userId"), "{body}");

    let (status, body, _) = submitted(&app, "text/csv", &cohort(6, "do_1")).await;
    assert_eq!((status, body["message"].as_str()), (400, Some("a job has at most 5 rows")), "{body}");
    let (status, body, _) = submitted(&app, "text/csv", &"x".repeat(1024 * 1024 + 1)).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["message"].as_str().unwrap().contains("BULK_MAX_MIB"), "{body}");
    let (status, _, _) = submitted(&app, "text/plain", "userId\n").await;
    assert_eq!(status, 415);
    let unknown = app.get(&format!("/certificate/jobs/{}", Uuid::new_v4())).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(app.get("/certificate/jobs/not-a-job").await.status, 400);

    let count = stack.database.count("SELECT count(*) FROM bulk_job").await;
    assert_eq!(count, 0, "no refused job was recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_a_replica_killed_in_the_middle_of_a_job_loses_and_doubles_nothing() {
    let stack = Stack::new().await;
    // Short claims, so that the dead replica's rows are taken again within seconds.
    let env = with(stack.local_issuer_env(&[]), &[("CLAIM_LEASE_MS", "1000"), ("BULK_CONCURRENCY", "2")]);
    let mut first = TestApp::process(env.clone()).await;
    let rows = 1500;
    let (status, body, _) = submitted(&first, "text/csv", &cohort(rows, "do_killed")).await;
    assert_eq!(status, 202, "{body}");
    let url = body["data"]["url"].as_str().unwrap().to_owned();
    let started = Instant::now();
    loop {
        let done = first.get(&format!("{url}?rows=false")).await.body["data"]["counts"]["pending"].as_u64().unwrap();
        if done < rows as u64 * 3 / 4 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.signal("KILL");
    first.wait_exit(Duration::from_secs(10)).await;

    let second = TestApp::spawn(env).await;
    let done = finished(&second, &url, Duration::from_secs(120)).await;
    let counts = &done["counts"];
    assert_eq!(counts["pending"], 0, "nothing forgotten: {done}");
    assert_eq!(counts["failed"], 0, "{done}");
    let issued = counts["issued"].as_u64().unwrap() + counts["alreadyIssued"].as_u64().unwrap();
    assert_eq!(issued, rows as u64, "{done}");
    assert!(counts["issued"].as_u64().unwrap() > 0, "the killed replica had left rows");

    let certificates =
        stack.database.count("SELECT count(*) FROM user_course_certificate WHERE \"courseId\" = 'do_killed'").await;
    assert_eq!(certificates, rows as i64, "one certificate per learner, none twice");
    // Delivery is at least once: an event the killed replica sent but had not
    // marked sent goes again, with its id (docs/events.md); consumers dedupe on it.
    let records = consume(KAFKA_BROKERS, &stack.topic, rows, Duration::from_secs(2), Duration::from_secs(60));
    let events: HashSet<&str> = records.iter().map(|r| r.value["eventId"].as_str().unwrap()).collect();
    let learners: HashSet<&str> = records.iter().map(|r| r.value["data"]["userId"].as_str().unwrap()).collect();
    assert_eq!((events.len(), learners.len()), (rows, rows), "one event per certificate");
}

/// Runs the binary's `jobs` command (a client of `app`) off the test's runtime.
async fn jobs_command(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        app_command(&[], &args).output().expect("the binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operators_command_submits_a_file_shows_its_progress_and_names_bad_rows() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.local_issuer_env(&[]), &[("API_TOKENS", "bulk-token")])).await;
    let file = std::env::temp_dir().join(format!("cohort-{}.csv", Uuid::new_v4()));
    std::fs::write(&file, cohort(200, "do_cli")).unwrap();
    let submit = |file: &std::path::Path| {
        ["jobs", "submit", file.to_str().unwrap(), "--url", &app.url(""), "--token", "bulk-token"]
            .map(str::to_owned)
            .to_vec()
    };
    let run = jobs_command(submit(&file)).await;
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("[##############################] 200/200 rows"), "the bar ran to the end: {stderr}");
    assert!(
        stdout.contains(": done; 200 rows: 200 issued, 0 already issued, 0 failed, 0 cancelled, 0 pending"),
        "{stdout}"
    );
    let job_id = stdout.split_whitespace().nth(1).unwrap().trim_end_matches(':');
    let status = jobs_command(
        ["jobs", "status", job_id, "--url", &app.url(""), "--token", "bulk-token"].map(str::to_owned).to_vec(),
    )
    .await;
    assert!(String::from_utf8_lossy(&status.stdout).contains("200 issued"), "{status:?}");

    std::fs::write(&file, format!("{HEADER}\nnot-a-uuid,do_cli,Rust,Ada,Lovelace,2026-01-01,2099-01-01\n")).unwrap();
    let refused = jobs_command(submit(&file)).await;
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(said.contains("row 1: userId must be a UUID"), "{said}");
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_job_issues_no_row_it_had_not_started_and_its_report_says_what_was_issued() {
    let stack = Stack::new().await;
    let env = with(stack.local_issuer_env(&[]), &[("API_TOKENS", "bulk-token"), ("BULK_CONCURRENCY", "4")]);
    let app = TestApp::spawn(env).await;
    let auth = [("Authorization", "Bearer bulk-token")];
    let csv = cohort(3000, "do_cancelled");
    let raw = app.send_raw("POST", "/certificate/issue/bulk", "text/csv", csv.into_bytes(), &auth).await;
    assert_eq!(raw.status, 202);
    let job_id = serde_json::from_slice::<Value>(&raw.body).unwrap()["data"]["jobId"].as_str().unwrap().to_owned();

    let cancel = ["jobs", "cancel", &job_id, "--url", &app.url(""), "--token", "bulk-token"].map(str::to_owned);
    let run = jobs_command(cancel.to_vec()).await;
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{said} {}", String::from_utf8_lossy(&run.stderr));
    assert!(said.contains(": done; 3000 rows:") && said.contains(" 0 pending"), "{said}");

    // The rows the runners held finish; nothing else is issued, now or later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let url = format!("/certificate/jobs/{job_id}");
    let done = app.send_raw("GET", &format!("{url}?rows=false"), "", vec![], &auth).await;
    let counts = serde_json::from_slice::<Value>(&done.body).unwrap()["data"]["counts"].clone();
    let issued = counts["issued"].as_u64().unwrap();
    assert!(counts["cancelled"].as_u64().unwrap() > 2000, "cancelled well before the end: {counts}");
    assert_eq!(counts["total"], 3000);
    assert_eq!(counts["pending"], 0);
    let certificates = "SELECT count(*) FROM user_course_certificate WHERE \"courseId\" = 'do_cancelled'";
    assert_eq!(stack.database.count(certificates).await as u64, issued, "the report counts every certificate made");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.database.count(certificates).await as u64, issued, "and none is made after");
    let records =
        consume(KAFKA_BROKERS, &stack.topic, issued as usize, Duration::from_secs(3), Duration::from_secs(30));
    assert_eq!(records.len() as u64, issued, "an event for each row issued, none for a cancelled row");

    let unknown = format!("/certificate/jobs/{}/cancel", Uuid::new_v4());
    assert_eq!(app.send_raw("POST", &unknown, "", vec![], &auth).await.status, 404);
    assert_eq!(app.send_raw("POST", "/certificate/jobs/not-a-job/cancel", "", vec![], &auth).await.status, 400);
    assert_eq!(
        app.send_raw("POST", &format!("{url}/cancel"), "", vec![], &[]).await.status,
        401,
        "behind the API's tokens"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_learners_own_request_racing_their_row_makes_no_second_credential() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.local_issuer_env(&[]), &[("BULK_CONCURRENCY", "8")])).await;
    let learners: Vec<Uuid> = (0..200).map(|_| Uuid::new_v4()).collect();
    let (status, body, _) = submitted(&app, "text/csv", &cohort_of(&learners, "do_race")).await;
    assert_eq!(status, 202, "{body}");
    let url = body["data"]["url"].as_str().unwrap();
    while app.get(&format!("{url}?rows=false")).await.body["data"]["counts"]["pending"] == 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Once the job runs, every learner's own request at once, the job's last rows first.
    let requests = learners
        .iter()
        .enumerate()
        .map(|(n, learner)| single_request(*learner, n, "do_race"))
        .rev()
        .collect::<Vec<_>>();
    let singles = futures_util::future::join_all(requests.iter().map(|request| app.issue(request))).await;
    let done = finished(&app, url, Duration::from_secs(60)).await;
    assert_eq!((done["counts"]["pending"].as_u64(), done["counts"]["failed"].as_u64()), (Some(0), Some(0)), "{done}");
    let by_row = certificates_of_rows(&app, url).await;
    let mut answered = 0;
    for (request, single) in requests.iter().zip(&singles) {
        // 409: the row held the learner's claim; the platform's retry gets the row's certificate.
        assert!(single.status == 200 || single.status == 409, "{}: {}", single.status, single.body);
        if single.status == 200 {
            answered += 1;
            let row = &by_row[request["userId"].as_str().unwrap()];
            assert_eq!(single.body["data"]["credential"]["id"].as_str(), Some(row.as_str()), "one credential each");
        }
    }
    let counts = &done["counts"];
    assert!(answered > 0 && counts["issued"].as_u64() > Some(0), "both sides issued some: {done}");
    assert!(counts["alreadyIssued"].as_u64() > Some(0), "some rows found their learner's certificate: {done}");
    let certificates =
        stack.database.count("SELECT count(*) FROM user_course_certificate WHERE \"courseId\" = 'do_race'").await;
    assert_eq!(certificates, 200);
    let records = consume(KAFKA_BROKERS, &stack.topic, 200, Duration::from_secs(2), Duration::from_secs(30));
    assert_eq!(records.len(), 200, "one event per learner, whoever issued it");
}

#[tokio::test(flavor = "multi_thread")]
async fn in_sunbird_rc_mode_each_row_is_issued_once_by_the_credential_service_whatever_answers_are_lost() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    // Every issue call keeps its credential and loses its answer: each row looks its tag up.
    stack.upstreams.set_credentials(Behaviour::IssueThenStatus(502));
    let (_, lost, _) = submitted(&app, "text/csv", &cohort(20, "do_lost")).await;
    let lost = finished(&app, lost["data"]["url"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(lost["counts"]["issued"], 20, "{lost}");
    assert_eq!(stack.upstreams.credential_calls(), 20, "no issue call sent twice");
    // The first calls fail before issuing: their rows are tried again later, and issued once.
    stack.upstreams.set_credentials(Behaviour::StatusTimes(503, 5));
    let (_, refused, _) = submitted(&app, "text/csv", &cohort(20, "do_refused")).await;
    let refused = finished(&app, refused["data"]["url"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!((refused["counts"]["issued"].as_u64(), refused["counts"]["failed"].as_u64()), (Some(20), Some(0)));

    let per_learner = stack.upstreams.live_credentials();
    assert_eq!(per_learner.len(), 40, "{per_learner:?}");
    assert!(per_learner.values().all(|&count| count == 1), "one credential per learner: {per_learner:?}");
    assert!(stack.upstreams.credentials_per_tag().values().all(|&count| count == 1));
    app.assert_metrics(&["certificate_bulk_row_retries_total 5"]).await;
    assert_eq!(stack.database.count("SELECT count(*) FROM user_course_certificate").await, 40);
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_in_flight_never_starve_the_runner_of_database_connections() {
    let stack = Stack::new().await;
    // Far more rows in flight than connections: a row waiting for its turn
    // must not hold one the runner needs to take or record rows.
    let env = with(stack.local_issuer_env(&[]), &[("DB_POOL_SIZE", "2"), ("BULK_CONCURRENCY", "32")]);
    let app = TestApp::spawn(env).await;
    let csv = cohort(300, "do_pool");
    for run in ["first", "again"] {
        let (status, body, _) = submitted(&app, "text/csv", &csv).await;
        assert_eq!(status, 202, "{body}");
        let done = finished(&app, body["data"]["url"].as_str().unwrap(), Duration::from_secs(30)).await;
        let counts = &done["counts"];
        assert_eq!((counts["pending"].as_u64(), counts["failed"].as_u64()), (Some(0), Some(0)), "{run}: {done}");
    }
}
