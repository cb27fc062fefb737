//! The event path under the load that real use puts on it: one course that
//! many learners finish at once, per-certificate order when a delivery fails,
//! and retention of the outbox.

use std::collections::HashSet;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use certificate_system_tests::invariants::{issue_stream, issue_stream_of, wait_for_drained_outbox, Courses};
use certificate_system_tests::{consume, contract_body, with, PrivateBroker, Stack, TestApp, KAFKA_BROKERS};
use serde_json::json;

const HOT_ISSUANCES: usize = 2000;

#[tokio::test(flavor = "multi_thread")]
async fn serial_two_thousand_issuances_of_one_course_reach_the_topic_once_each_within_seconds() {
    let stack = Stack::new().await;
    let app = Arc::new(stack.start_app().await);
    let course = Courses::hot();
    let answers = issue_stream_of(app.clone(), course.clone(), HOT_ISSUANCES, 16, Arc::new(AtomicUsize::new(0))).await;
    let last_answer = Instant::now();
    assert!(answers.iter().all(|(_, answer)| answer.status == 200), "every issuance succeeds");

    let drained_after = wait_for_drained_outbox(&stack).await;
    assert!(
        drained_after < Duration::from_secs(5),
        "the outbox drained {drained_after:?} after the last answer (one event per relay round would take minutes)"
    );
    let records = consume(KAFKA_BROKERS, &stack.topic, HOT_ISSUANCES, Duration::from_secs(2), Duration::from_secs(60));
    let seen_after = last_answer.elapsed();
    let event_ids: HashSet<&str> = records.iter().map(|r| r.value["eventId"].as_str().unwrap()).collect();
    assert_eq!(records.len(), HOT_ISSUANCES, "every event once, none twice");
    assert_eq!(event_ids.len(), HOT_ISSUANCES);
    let Courses::One(course_id) = course else { unreachable!() };
    assert!(records.iter().all(|r| r.key.as_deref() == Some(course_id.as_str())));
    let answered: HashSet<&str> =
        answers.iter().map(|(_, a)| a.body["data"]["credential"]["id"].as_str().unwrap()).collect();
    let published: HashSet<&str> = records.iter().map(|r| r.value["data"]["certificateId"].as_str().unwrap()).collect();
    assert_eq!(answered, published);
    eprintln!(
        "outbox drained {drained_after:?} and the consumer had every record {seen_after:?} after the last answer"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reissue_never_overtakes_the_issue_whose_delivery_failed() {
    let stack = Stack::new().await;
    let broker = PrivateBroker::start();
    let env = with(
        stack.env(&broker.brokers()),
        &[
            ("KAFKA_DELIVERY_TIMEOUT_MS", "1000"),
            ("OUTBOX_BASE_BACKOFF_MS", "10000"),
            ("OUTBOX_MAX_BACKOFF_MS", "10000"),
        ],
    );
    let app = TestApp::spawn(env).await;
    assert!(app.wait_for_log("created the Kafka topic", Duration::from_secs(20)).await);

    broker.proxy.cut();
    let body = contract_body();
    let issued = app.issue(&body).await;
    assert_eq!(issued.status, 200);
    assert!(app.wait_for_log("Failed to publish certificate issued event", Duration::from_secs(20)).await);
    broker.proxy.restore();
    // The broker is back and the issue's retry still 5 to 10 s away: the
    // re-issue would go out at once if nothing held it back.
    app.wait_until_ready().await;
    let mut reissue = body.clone();
    reissue["reissue"] = json!(true);
    let reissued = app.issue(&reissue).await;
    assert_eq!(reissued.status, 200);

    wait_for_drained_outbox(&stack).await;
    let records = consume(&broker.brokers(), &stack.topic, 2, Duration::from_secs(1), Duration::from_secs(30));
    let certificates: Vec<_> = records.iter().map(|r| r.value["data"]["certificateId"].clone()).collect();
    assert_eq!(
        certificates,
        [issued.body["data"]["credential"]["id"].clone(), reissued.body["data"]["credential"]["id"].clone()],
        "the issue, then the re-issue"
    );
}

async fn outbox_rows(stack: &Stack, condition: &str) -> i64 {
    stack.database.count(&format!("SELECT count(*) FROM certificate_outbox WHERE {condition}")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_removes_only_what_is_published_and_past_the_retention() {
    let stack = Stack::new().await;
    let app = Arc::new(stack.start_process().await);
    issue_stream(app.clone(), 4, 1, Arc::new(AtomicUsize::new(0))).await;
    wait_for_drained_outbox(&stack).await;
    // The service prunes when it starts: stopped, it cannot race the command
    // below for the rows this test ages.
    let mut app = Arc::into_inner(app).expect("the stream is over");
    app.signal("TERM");
    app.wait_exit(Duration::from_secs(20)).await;
    let database = &stack.database;
    // Of four published events: two of 8 days ago, one of 9 days ago that went
    // to dead-letter then, one of just now.
    database
        .execute(
            "UPDATE certificate_outbox SET created_at = now() - interval '8 days' \
             WHERE id IN (SELECT id FROM certificate_outbox ORDER BY id LIMIT 2)",
        )
        .await;
    database
        .execute(
            "UPDATE certificate_outbox SET created_at = now() - interval '9 days', dead_at = now() - interval '9 days' \
             WHERE id = (SELECT id FROM certificate_outbox ORDER BY id OFFSET 2 LIMIT 1)",
        )
        .await;
    database
        .execute(
            "INSERT INTO certificate_idempotency_key (key, fingerprint, created_at) \
             VALUES ('old', 'a', now() - interval '8 days'), ('recent', 'b', now())",
        )
        .await;
    database
        .execute(
            "INSERT INTO certificate_issuance (\"userId\", \"courseId\", claim_token, state, lease_until, updated_at) \
             VALUES (gen_random_uuid(), 'given-up', gen_random_uuid(), 'released', now(), now() - interval '8 days')",
        )
        .await;
    // Bulk jobs: one finished 8 days ago, one as old with a row still pending, one finished just now.
    database
        .execute(
            "INSERT INTO bulk_job (id, created_at) VALUES \
        ('00000000-0000-4000-8000-00000000000a', now() - interval '9 days'), \
        ('00000000-0000-4000-8000-00000000000b', now() - interval '9 days'), \
        ('00000000-0000-4000-8000-00000000000c', now())",
        )
        .await;
    database.execute("INSERT INTO bulk_row (job_id, number, user_id, course_id, request, state, due_at, done_at) VALUES \
        ('00000000-0000-4000-8000-00000000000a', 1, gen_random_uuid(), 'do_1', '{}', 'issued', now() - interval '9 days', now() - interval '8 days'), \
        ('00000000-0000-4000-8000-00000000000b', 1, gen_random_uuid(), 'do_1', '{}', 'issued', now() - interval '9 days', now() - interval '8 days'), \
        ('00000000-0000-4000-8000-00000000000b', 2, gen_random_uuid(), 'do_1', '{}', 'pending', now() - interval '9 days', NULL), \
        ('00000000-0000-4000-8000-00000000000c', 1, gen_random_uuid(), 'do_1', '{}', 'issued', now(), now())").await;

    let pruned = app.cli(&["outbox", "prune"]);
    assert!(pruned.contains("2 published events, 1 released claims, 1 idempotency keys"), "{pruned}");
    assert!(pruned.contains("1 finished bulk jobs"), "{pruned}");
    let old_finished = "SELECT count(*) FROM bulk_job WHERE id = '00000000-0000-4000-8000-00000000000a'";
    assert_eq!(database.count(old_finished).await, 0);
    assert_eq!(
        database.count("SELECT count(*) FROM bulk_job").await,
        2,
        "a job with a pending row stays, and a recent one"
    );
    assert_eq!(database.count("SELECT count(*) FROM bulk_row").await, 3, "the old job's rows went with it");
    assert_eq!(outbox_rows(&stack, "true").await, 2);
    assert_eq!(outbox_rows(&stack, "dead_at IS NOT NULL").await, 1, "dead events are never pruned");
    assert_eq!(database.count("SELECT count(*) FROM certificate_idempotency_key WHERE key = 'recent'").await, 1);
    assert_eq!(database.count("SELECT count(*) FROM certificate_issuance WHERE state = 'issued'").await, 4);

    let recent = app.cli(&["outbox", "replay", "--since", "2020-01-01"]);
    assert!(recent.contains("older than the retention") && recent.contains("1 events"), "{recent}");
    assert!(recent.contains("OUTBOX_RETENTION, 7 days"), "the default retention is a week: {recent}");
    let within = app.cli(&["outbox", "replay", "--since", &days_ago(1)]);
    assert!(!within.contains("warning"), "{within}");

    // The service prunes by itself too, first when it starts.
    let mut replaying = TestApp::process(app.env.clone()).await;
    wait_for_drained_outbox(&stack).await;
    replaying.signal("TERM");
    replaying.wait_exit(Duration::from_secs(20)).await;
    database
        .execute("UPDATE certificate_outbox SET created_at = now() - interval '2 days' WHERE dead_at IS NULL")
        .await;
    let pruning = TestApp::spawn(with(app.env.clone(), &[("OUTBOX_RETENTION", "1d")])).await;
    assert!(pruning.wait_for_log("pruned what is past the retention", Duration::from_secs(20)).await);
    assert_eq!(outbox_rows(&stack, "true").await, 1, "only the dead event is left");
}

fn days_ago(days: i64) -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "-d", &format!("{days} days ago"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
