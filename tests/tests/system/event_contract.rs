//! The event contract (schemas/), enforced by the broker: tansu validates
//! every record of the test topics against the event schema, and refuses the
//! ones that break it; the relay sends such a record to dead-letter at once.

use std::path::Path;
use std::time::{Duration, Instant};

use certificate_system_tests::{consume, contract_body, schema_registry, Stack, TestApp, KAFKA_BROKERS};
use serde_json::Value;

fn event_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/course-status-updated.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the event schema compiles")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issued_event_passes_the_brokers_validation_and_a_consumers() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    assert_eq!(app.issue(&contract_body()).await.status, 200);

    let records = consume(KAFKA_BROKERS, &stack.topic, 1, Duration::from_secs(1), Duration::from_secs(30));
    assert_eq!(records.len(), 1, "the broker accepted the event");
    let errors: Vec<String> = event_schema().iter_errors(&records[0].value).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "the consumer's own check: {errors:?}");
    assert_eq!(stack.database.count("SELECT count(*) FROM certificate_outbox WHERE dead_at IS NOT NULL").await, 0);
}

/// Queues an event whose value breaks the schema, as a defect would.
async fn queue_a_broken_event(stack: &Stack) {
    stack
        .database
        .execute(
            r#"WITH broken AS (
                   INSERT INTO certificate_outbox (event_id, message_key, user_id, payload)
                   VALUES (gen_random_uuid(), 'broken-course', gen_random_uuid(), '{"eventType":"NOT_THE_CONTRACT"}')
                   RETURNING id, user_id, message_key, created_at)
               INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
               SELECT id, user_id, message_key, created_at, created_at FROM broken"#,
        )
        .await;
}

/// On failure, says what the outbox and the service's log show.
async fn wait_for_rows(stack: &Stack, app: &TestApp, sql: &str, rows: i64) {
    let started = Instant::now();
    while stack.database.count(sql).await != rows {
        if started.elapsed() > Duration::from_secs(30) {
            let outbox = stack
                .database
                .query("SELECT format('%s attempts=%s dead=%s error=%s', id, attempts, dead_at, last_error) FROM certificate_outbox")
                .await;
            let outbox: Vec<String> = outbox.iter().map(|row| row.get(0)).collect();
            panic!("never {rows} rows: {sql}\noutbox: {outbox:#?}\nlog:\n{}", app.logs().join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_the_broker_refuses_goes_to_dead_letter_at_once_and_the_next_event_is_published() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    queue_a_broken_event(&stack).await;
    assert_eq!(app.issue(&contract_body()).await.status, 200);

    let dead = "SELECT count(*) FROM certificate_outbox WHERE dead_at IS NOT NULL AND attempts = 1 \
                AND last_error ILIKE '%invalid%record%'";
    wait_for_rows(&stack, &app, dead, 1).await;
    let records = consume(KAFKA_BROKERS, &stack.topic, 1, Duration::from_secs(1), Duration::from_secs(30));
    assert_eq!(records.len(), 1, "the good event behind it went out");
    assert_eq!(records[0].value["eventType"], "COURSE_STATUS_UPDATED");
    let url = app.url("/metrics");
    let metrics =
        tokio::task::spawn_blocking(move || ureq::get(&url).call().unwrap().body_mut().read_to_string().unwrap())
            .await
            .unwrap();
    // Every refusal is counted: the bad record's (in its batch, then alone),
    // and a good record's that shared its produce request (then sent again
    // alone and published).
    let refused = metrics
        .lines()
        .find_map(|line| line.strip_prefix(r#"certificate_event_publish_failures_total{reason="invalid_record"} "#))
        .and_then(|value| value.parse::<f64>().ok());
    assert!(refused.is_some_and(|n| (1.0..=3.0).contains(&n)), "{metrics}");
    let status = app.cli(&["outbox", "status"]);
    assert!(status.contains("dead: 1"), "{status}");

    // Once the schema accepts it (here: the topic has none any more), an
    // operator sends it again.
    std::fs::remove_file(schema_registry().join(format!("{}.json", stack.topic))).unwrap();
    assert!(app.cli(&["outbox", "retry-dead"]).contains("1 dead events are due again"));
    wait_for_rows(&stack, &app, "SELECT count(*) FROM certificate_outbox_pending", 0).await;
    let records = consume(KAFKA_BROKERS, &stack.topic, 2, Duration::from_secs(1), Duration::from_secs(30));
    assert_eq!(records.len(), 2);
}

#[test]
fn the_asyncapi_document_validates_with_the_asyncapi_parser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = std::process::Command::new("node")
        .current_dir(&root)
        .args(["deploy/local/validate-asyncapi.mjs", "docs/asyncapi.yaml"])
        .output()
        .expect("run node (make deps installs the parser)");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("valid AsyncAPI 3.0.0"), "{printed}");
}
