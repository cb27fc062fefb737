//! Reliable issuance: break the broker, the service, Postgres or the
//! credential service in the middle of a stream of issuances, and check the
//! invariants of `certificate_system_tests::invariants` every time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certificate_system_tests::invariants::{
    assert_invariants, issue_stream, issue_stream_of, wait_for_drained_outbox, wait_until, Answers, Courses,
};
use certificate_system_tests::{
    consume, contract_body, with, Answer, Behaviour, PrivateBroker, PrivatePostgres, Stack, TestApp, TestDatabase,
    KAFKA_BROKERS,
};
use serde_json::{json, Value};

const STREAM: usize = 40;

fn count(answers: &Answers, status: u16) -> usize {
    answers.iter().filter(|(_, a)| a.status == status).count()
}

async fn broker_outage_mid_stream(courses: Courses) {
    let stack = Stack::new().await;
    let broker = PrivateBroker::start();
    let env = with(stack.env(&broker.brokers()), &[("OUTBOX_MAX_BACKOFF_MS", "1000")]);
    let app = Arc::new(TestApp::spawn(env).await);
    assert!(app.wait_for_log("created the Kafka topic", Duration::from_secs(20)).await);
    broker.proxy.cut();

    let answers = issue_stream_of(app.clone(), courses, STREAM, 4, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(count(&answers, 200), STREAM, "a broker outage never fails an issuance");
    broker.proxy.restore();

    assert_eq!(assert_invariants(&stack, &broker.brokers(), &answers).await, STREAM);
}

#[tokio::test(flavor = "multi_thread")]
async fn events_issued_while_the_broker_is_down_all_arrive_once_it_is_back() {
    broker_outage_mid_stream(Courses::Fresh).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn events_of_one_hot_course_issued_while_the_broker_is_down_all_arrive_once_it_is_back() {
    broker_outage_mid_stream(Courses::hot()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_a_service_killed_mid_stream_loses_nothing_after_restart() {
    kill_mid_stream(Courses::Fresh).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_a_service_killed_mid_stream_of_one_hot_course_loses_nothing_after_restart() {
    kill_mid_stream(Courses::hot()).await;
}

async fn kill_mid_stream(courses: Courses) {
    let stack = Stack::new().await;
    stack.upstreams.set_credentials(Behaviour::Stall(Duration::from_millis(20)));
    let app = Arc::new(stack.start_process().await);
    let done = Arc::new(AtomicUsize::new(0));
    let stream = tokio::spawn(issue_stream_of(app.clone(), courses, STREAM, 4, done.clone()));
    wait_until(&done, STREAM / 3).await;

    app.signal("KILL");
    let answers = stream.await.unwrap();
    assert!(count(&answers, 200) >= STREAM / 3);
    assert!(answers.iter().any(|(_, a)| a.status == 0), "some requests were cut by the kill");

    let _restarted = stack.start_app().await;
    assert_invariants(&stack, KAFKA_BROKERS, &answers).await;
}

/// One request of a learner's and when it was in flight.
#[derive(Debug, Clone, Copy)]
struct Attempt {
    sent: Instant,
    answered: Instant,
    status: u16,
}

/// When Postgres was down: from the stop to the moment it serves again.
#[derive(Default)]
struct Outage {
    down: Mutex<Option<Instant>>,
    up: Mutex<Option<Instant>>,
}

impl Outage {
    fn window(&self) -> Option<(Instant, Instant)> {
        Some(((*self.down.lock().unwrap())?, (*self.up.lock().unwrap())?))
    }
}

/// Sends one learner's request until it is answered 200 (an outage answers
/// 503, and a claim that could not be given back answers 409 until its lease ends).
async fn issue_until_issued(app: &TestApp, body: &Value) -> (Vec<Attempt>, Answer) {
    let mut attempts = Vec::new();
    for _ in 0..200 {
        let sent = Instant::now();
        let answer = app.issue(body).await;
        attempts.push(Attempt { sent, answered: Instant::now(), status: answer.status });
        if answer.status == 200 {
            return (attempts, answer);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{body} was never issued: {attempts:?}");
}

/// Each learner's request, its attempts and the answer that issued it.
type Learners = Vec<(Value, Vec<Attempt>, Answer)>;

/// Learners one after another, each until issued, until a learner was sent
/// and issued after Postgres was back (or a bound of learners is reached).
async fn learners_until_recovered(app: Arc<TestApp>, outage: Arc<Outage>, done: Arc<AtomicUsize>) -> Learners {
    let mut learners = Vec::new();
    for _ in 0..500 {
        let body = contract_body();
        let (attempts, answer) = issue_until_issued(&app, &body).await;
        done.fetch_add(1, Ordering::SeqCst);
        let sent_after_recovery = outage.window().is_some_and(|(_, up)| attempts[0].sent > up);
        learners.push((body, attempts, answer));
        if sent_after_recovery {
            return learners;
        }
    }
    panic!("Postgres never came back within 500 learners");
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_a_postgres_outage_mid_stream_fails_no_learner_for_good_and_issues_one_credential_each() {
    let postgres = PrivatePostgres::start();
    let stack = Stack::on(TestDatabase::create_on(&postgres.url()).await);
    stack.upstreams.set_credentials(Behaviour::Stall(Duration::from_millis(20)));
    // A claim that could not be given back while Postgres was down holds for 2 s, not 30.
    // (A lease that short needs credential calls shorter still: one attempt of 1 s.)
    let limits = [("CLAIM_LEASE_MS", "2000"), ("UPSTREAM_RETRIES", "0"), ("DB_TIMEOUT_MS", "1000")];
    let env = with(stack.env(KAFKA_BROKERS), &limits);
    let app = Arc::new(TestApp::spawn(env).await);
    let (outage, done) = (Arc::new(Outage::default()), Arc::new(AtomicUsize::new(0)));
    let workers: Vec<_> =
        (0..4).map(|_| tokio::spawn(learners_until_recovered(app.clone(), outage.clone(), done.clone()))).collect();
    wait_until(&done, 12).await;

    tokio::task::block_in_place(|| postgres.stop());
    *outage.down.lock().unwrap() = Some(Instant::now());
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| postgres.resume());
    *outage.up.lock().unwrap() = Some(Instant::now());
    let mut learners = Vec::new();
    for worker in workers {
        learners.extend(worker.await.unwrap());
    }

    let (down, up) = outage.window().unwrap();
    let attempts: Vec<Attempt> = learners.iter().flat_map(|(_, attempts, _)| attempts.iter().copied()).collect();
    let during = |a: &&Attempt| a.sent < up && a.answered > down;
    assert!(attempts.iter().filter(during).count() >= 1, "no request was in flight while Postgres was down");
    assert!(attempts.iter().any(|a| a.sent > up && a.status == 200), "the service never recovered");
    let refused: Vec<u16> = attempts.iter().map(|a| a.status).filter(|s| ![200, 409, 503].contains(s)).collect();
    assert!(refused.is_empty(), "an outage answers 503 (or 409 for a claim it could not give back): {refused:?}");
    for (body, _, _) in &learners {
        let (user_id, course_id) = (body["userId"].as_str().unwrap(), body["courseId"].as_str().unwrap());
        let held = stack.upstreams.credentials_of(user_id, course_id);
        assert_eq!(held.len(), 1, "one credential upstream for {user_id}: {held:?}");
    }
    let answers: Answers = learners.into_iter().map(|(body, _, answer)| (body, answer)).collect();
    assert_eq!(assert_invariants(&stack, KAFKA_BROKERS, &answers).await, answers.len(), "one event per learner");
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_postgres_down_while_a_credential_comes_back_and_up_within_the_record_window_is_a_200_with_one_credential(
) {
    let postgres = PrivatePostgres::start();
    let stack = Stack::on(TestDatabase::create_on(&postgres.url()).await);
    let env = with(stack.env(KAFKA_BROKERS), &[("UPSTREAM_TIMEOUT_MS", "10000"), ("DB_RECORD_RETRY_MS", "15000")]);
    let app = TestApp::spawn(env).await;
    stack.upstreams.set_credentials(Behaviour::Stall(Duration::from_secs(2)));
    let body = contract_body();
    let outage = async {
        // The claim is taken before the credential service is called.
        let started = Instant::now();
        while stack.upstreams.credential_calls() == 0 {
            assert!(started.elapsed() < Duration::from_secs(10), "the credential service was never called");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::task::block_in_place(|| postgres.stop());
        let retried = "database unavailable while recording an issued credential; retrying";
        assert!(app.wait_for_log(retried, Duration::from_secs(10)).await, "recording never met the outage");
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| postgres.resume());
    };
    let (answer, ()) = tokio::join!(app.issue(&body), outage);

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let (user_id, course_id) = (body["userId"].as_str().unwrap(), body["courseId"].as_str().unwrap());
    let held = stack.upstreams.credentials_of(user_id, course_id);
    assert_eq!(held.len(), 1, "one credential upstream: {held:?}");
    assert_eq!(answer.body["data"]["credential"]["id"], held[0].0.as_str());
    assert_eq!(stack.database.count("SELECT count(*) FROM user_course_certificate").await, 1);
    assert_eq!(assert_invariants(&stack, KAFKA_BROKERS, &vec![(body.clone(), answer)]).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_fifty_concurrent_identical_requests_issue_one_credential() {
    let stack = Stack::new().await;
    stack.upstreams.set_credentials(Behaviour::Stall(Duration::from_millis(300)));
    let app = Arc::new(stack.start_app().await);
    let body = contract_body();
    let requests = (0..50).map(|_| {
        let (app, body) = (app.clone(), body.clone());
        tokio::spawn(async move { app.issue(&body).await })
    });
    let mut answers = Vec::new();
    for request in requests {
        answers.push((body.clone(), request.await.unwrap()));
    }

    assert!(answers.iter().all(|(_, a)| a.status == 200 || a.status == 409), "{answers:?}");
    assert!(count(&answers, 200) >= 1);
    assert_eq!(stack.upstreams.credential_calls(), 1);
    let (user_id, course_id) = (body["userId"].as_str().unwrap(), body["courseId"].as_str().unwrap());
    assert_eq!(stack.upstreams.credentials_of(user_id, course_id).len(), 1, "one credential upstream");
    assert_eq!(stack.database.count("SELECT count(*) FROM user_course_certificate").await, 1);
    assert_eq!(assert_invariants(&stack, KAFKA_BROKERS, &answers).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn repeats_idempotency_keys_and_reissues() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();

    let first = app.issue_with(&body, &[("Idempotency-Key", "order-1")]).await;
    assert_eq!(first.status, 200);
    let repeat = app.issue(&body).await;
    assert_eq!((repeat.status, repeat.replayed), (200, true));
    assert_eq!(repeat.body["data"], first.body["data"]);
    assert_eq!(stack.upstreams.credential_calls(), 1, "a repeat makes no upstream call");

    let mut other = body.clone();
    other["courseName"] = json!("Another course");
    let reused = app.issue_with(&other, &[("Idempotency-Key", "order-1")]).await;
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.body["success"], false);

    let mut reissue = body.clone();
    reissue["reissue"] = json!(true);
    let reissued = app.issue(&reissue).await;
    assert_eq!(reissued.status, 200);
    assert_ne!(reissued.body["data"]["credential"]["id"], first.body["data"]["credential"]["id"]);
    assert_eq!(stack.upstreams.credential_calls(), 2);

    wait_for_drained_outbox(&stack).await;
    let records = consume(KAFKA_BROKERS, &stack.topic, 2, Duration::from_secs(1), Duration::from_secs(20));
    let ids: Vec<_> = records.iter().map(|r| r.value["data"]["certificateId"].clone()).collect();
    assert_eq!(
        ids,
        [first.body["data"]["credential"]["id"].clone(), reissued.body["data"]["credential"]["id"].clone()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_service_failing_every_other_call_leaves_no_trace_of_failures() {
    let stack = Stack::new().await;
    stack.upstreams.set_credentials(Behaviour::FailEveryOther);
    let app = Arc::new(stack.start_app().await);
    let answers = issue_stream(app.clone(), 20, 2, Arc::new(AtomicUsize::new(0))).await;

    assert_eq!(count(&answers, 200) + count(&answers, 502), 20, "{answers:?}");
    assert!(count(&answers, 502) >= 5 && count(&answers, 200) >= 5, "both answers, several times: {answers:?}");
    let published = assert_invariants(&stack, KAFKA_BROKERS, &answers).await;
    assert_eq!(published, count(&answers, 200));
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_two_relays_on_one_database_with_one_hot_course_publish_every_event_once() {
    let stack = Stack::new().await;
    // No hand-off window: both pollers compete with both hand-offs for every event.
    let env = with(stack.env(KAFKA_BROKERS), &[("OUTBOX_HANDOFF_MS", "0"), ("OUTBOX_POLL_INTERVAL_MS", "5")]);
    let first = Arc::new(TestApp::spawn(env.clone()).await);
    let second = Arc::new(TestApp::spawn(env).await);
    let done = Arc::new(AtomicUsize::new(0));
    let course = Courses::hot();
    let (a, b) = tokio::join!(
        issue_stream_of(first.clone(), course.clone(), STREAM, 2, done.clone()),
        issue_stream_of(second.clone(), course, STREAM, 2, done.clone())
    );
    let answers: Answers = a.into_iter().chain(b).collect();
    assert_eq!(count(&answers, 200), 2 * STREAM);

    assert_invariants(&stack, KAFKA_BROKERS, &answers).await;
    let records = consume(KAFKA_BROKERS, &stack.topic, 2 * STREAM, Duration::from_secs(2), Duration::from_secs(30));
    assert_eq!(records.len(), 2 * STREAM, "no event twice when nothing fails");
}

#[tokio::test(flavor = "multi_thread")]
async fn outbox_retry_dead_and_replay_republish_with_the_same_event_ids() {
    let stack = Stack::new().await;
    let broker = PrivateBroker::start();
    let env = with(stack.env(&broker.brokers()), &[("OUTBOX_MAX_ATTEMPTS", "1")]);
    let app = Arc::new(TestApp::spawn(env).await);
    assert!(app.wait_for_log("created the Kafka topic", Duration::from_secs(20)).await);
    let before = chrono_now();
    broker.proxy.cut();
    let answers = issue_stream(app.clone(), 3, 1, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(count(&answers, 200), 3);
    assert!(app.wait_for_log("event moved to dead-letter", Duration::from_secs(20)).await);
    wait_for_drained_outbox(&stack).await;
    assert!(app.cli(&["outbox", "status"]).contains("dead: 3"));

    broker.proxy.restore();
    app.wait_until_ready().await;
    assert!(app.cli(&["outbox", "retry-dead"]).starts_with("3 "));
    // With one attempt allowed, a send that fails while the producer
    // reconnects is dead-lettered again; an operator retries again.
    for _ in 0..5 {
        wait_for_drained_outbox(&stack).await;
        if app.cli(&["outbox", "status"]).contains("dead: 0") {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        app.cli(&["outbox", "retry-dead"]);
    }
    assert_eq!(assert_invariants(&stack, &broker.brokers(), &answers).await, 3);

    assert!(app.cli(&["outbox", "replay", "--since", &before]).starts_with("3 "));
    wait_for_drained_outbox(&stack).await;
    let records = consume(&broker.brokers(), &stack.topic, 6, Duration::from_secs(1), Duration::from_secs(30));
    assert_eq!(records.len(), 6);
    let mut ids: Vec<_> = records.iter().map(|r| r.value["eventId"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "a replay keeps the original event ids");
}

fn chrono_now() -> String {
    let output = std::process::Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%S.%3NZ"]).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_sigterm_mid_stream_loses_no_accepted_request_and_no_event() {
    let stack = Stack::new().await;
    stack.upstreams.set_credentials(Behaviour::Stall(Duration::from_millis(200)));
    let app = Arc::new(stack.start_process().await);
    let done = Arc::new(AtomicUsize::new(0));
    let stream = tokio::spawn(issue_stream(app.clone(), STREAM, 4, done.clone()));
    wait_until(&done, 8).await;
    let started = Instant::now();
    while stack.upstreams.credential_calls() as usize <= done.load(Ordering::SeqCst) {
        assert!(started.elapsed() < Duration::from_secs(10), "no request reached the credential service");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // At least one request is at the credential service, accepted and unanswered.
    let answered_before = done.load(Ordering::SeqCst);

    app.signal("TERM");
    let answers = stream.await.unwrap();
    let status = Arc::into_inner(app).map(|mut app| async move { app.wait_exit(Duration::from_secs(30)).await });
    assert!(status.expect("the only owner").await.success(), "exit 0 after SIGTERM");

    let statuses: Vec<u16> = answers.iter().map(|(_, a)| a.status).collect();
    assert!(count(&answers, 200) > answered_before, "a request in flight at SIGTERM was answered: {statuses:?}");
    // 0: refused once the service stopped listening, never cut after it accepted.
    assert!(statuses.iter().all(|s| *s == 200 || *s == 0), "accepted requests finish: {statuses:?}");
    assert_eq!(
        stack.upstreams.credentials_issued() as usize,
        count(&answers, 200),
        "every issued credential was answered"
    );
    assert_invariants(&stack, KAFKA_BROKERS, &answers).await;
}

/// What a request of the burst must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Issued,
    KeyReused,
    InFlight,
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_a_burst_of_five_hundred_with_reused_keys_and_claims_in_flight_answers_each_request_correctly() {
    let stack = Stack::new().await;
    // The burst is about each answer being right, not about upstream
    // timeouts: 500 requests at once on a busy 2-core box can take seconds
    // (and a claim's lease must outlast such a call).
    let limits = [("UPSTREAM_TIMEOUT_MS", "60000"), ("DB_TIMEOUT_MS", "60000"), ("CLAIM_LEASE_MS", "180000")];
    let env = with(stack.env(KAFKA_BROKERS), &limits);
    let app = Arc::new(TestApp::spawn(env).await);
    let mut burst = Vec::new();
    for i in 0..500 {
        let body = contract_body();
        let expected = if i % 25 == 12 {
            // The key was bound to another body first.
            let key = format!("burst-{i}");
            assert_eq!(app.issue_with(&contract_body(), &[("Idempotency-Key", &key)]).await.status, 200);
            (Expected::KeyReused, Some(key))
        } else if i % 50 == 24 {
            // Another replica holds this certificate's claim right now.
            stack
                .database
                .execute(&format!(
                    "INSERT INTO certificate_issuance (\"userId\", \"courseId\", claim_token, state, lease_until) \
                     VALUES ('{}', '{}', gen_random_uuid(), 'pending', now() + interval '10 minutes')",
                    body["userId"].as_str().unwrap(),
                    body["courseId"].as_str().unwrap()
                ))
                .await;
            (Expected::InFlight, None)
        } else {
            (Expected::Issued, None)
        };
        burst.push((body, expected));
    }
    let issued_before = stack.database.count("SELECT count(*) FROM user_course_certificate").await;

    let requests = burst.iter().cloned().map(|(body, (_, key))| {
        let app = app.clone();
        tokio::spawn(async move {
            let headers: Vec<(&str, &str)> = key.iter().map(|k| ("Idempotency-Key", k.as_str())).collect();
            app.issue_with(&body, &headers).await
        })
    });
    let answers = futures_util::future::join_all(requests).await;

    let mut issued = Vec::new();
    for ((body, (expected, _)), answer) in burst.iter().zip(answers) {
        let answer = answer.unwrap();
        let status = match expected {
            Expected::Issued => 200,
            Expected::KeyReused => 422,
            Expected::InFlight => 409,
        };
        assert_eq!(answer.status, status, "{expected:?} for {body}: {:?}", answer.body);
        if *expected == Expected::Issued {
            issued.push(answer.body["data"]["credential"]["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(issued.len(), 470);
    wait_for_drained_outbox(&stack).await;
    let rows = stack.database.count("SELECT count(*) FROM user_course_certificate").await;
    assert_eq!(rows - issued_before, issued.len() as i64, "one row per 200, none for a 409 or a 422");
    let events = stack.database.count("SELECT count(*) FROM certificate_outbox").await;
    assert_eq!(events, rows, "one event per row");
    let recorded: std::collections::HashSet<String> = stack
        .database
        .query(r#"SELECT "certificateId" FROM user_course_certificate"#)
        .await
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(issued.iter().all(|id| recorded.contains(id)), "every 200 answer is the recorded certificate");
}

/// The running service keeps a young table's statistics (StoreUpkeep, run by
/// its background work): nothing here calls the upkeep.
#[tokio::test(flavor = "multi_thread")]
async fn the_running_service_analyzes_a_table_that_grew() {
    let stack = Stack::new().await;
    let _app = stack.start_app().await;
    let analyzed = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'certificate_idempotency_key'";
    // Autovacuum could analyze it first, and leave upkeep nothing to do.
    stack.database.execute("ALTER TABLE certificate_idempotency_key SET (autovacuum_enabled = false)").await;
    let before = stack.database.count(analyzed).await;
    stack
        .database
        .execute(
            "INSERT INTO certificate_idempotency_key (key, fingerprint) \
             SELECT 'grown-' || n, 'f' FROM generate_series(1, 2000) n; SELECT pg_stat_force_next_flush();",
        )
        .await;
    stack.database.execute("SELECT 1").await;
    let started = Instant::now();
    while stack.database.count(analyzed).await == before {
        assert!(started.elapsed() < Duration::from_secs(20), "no ANALYZE of the grown table in 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
