//! The whole issue flow against the real binary, a real Postgres database,
//! tansu and HTTP fakes of both upstreams.

use std::time::Duration;

use certificate_system_tests::{
    consume, contract_body, topic_exists, with, Behaviour, Stack, TcpProxy, TestApp, KAFKA_BROKERS,
};
use serde_json::{json, Value};

const SETTLE: Duration = Duration::from_millis(1500);
const TIMEOUT: Duration = Duration::from_secs(20);

async fn rows(stack: &Stack) -> i64 {
    stack.database.count("SELECT count(*) FROM user_course_certificate").await
}

async fn outbox(stack: &Stack) -> i64 {
    stack.database.count("SELECT count(*) FROM certificate_outbox").await
}

/// The current month as the service writes it on a certificate ("December 2026").
fn this_month() -> String {
    chrono::Utc::now().format("%B %Y").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issuance_is_recorded_and_its_event_reaches_kafka() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();

    let month_before = this_month();
    let answer = app.issue(&body).await;
    let month_after = this_month();

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["success"], true);
    assert_eq!(answer.body["statusCode"], 200);
    assert_eq!(answer.body["message"], "Credential issued successfully");
    let certificate_id = answer.body["data"]["credential"]["id"].as_str().unwrap().to_owned();

    // The upstreams received the contract's bodies.
    let received = stack.upstreams.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body["content"][0]["alsoKnownAs"], json!([body["userId"]]));
    assert_eq!(received[0].body["content"][0]["method"], "upai");
    let credential = &received[1].body;
    assert_eq!(credential["credentialSchemaId"], "schema-course-certificate");
    assert_eq!(credential["credential"]["issuer"], "did:upai:issuer");
    assert_eq!(credential["credential"]["type"], json!(["VerifiableCredential", "CourseCertificate"]));
    let subject = &credential["credential"]["credentialSubject"];
    assert_eq!(subject["courseId"], body["courseId"]);
    assert_eq!(subject["middleName"], "");
    // Without `issuedOn` in the request, the certificate shows the month of issue.
    let issued_on = subject["issuedOn"].as_str().unwrap();
    assert!(issued_on == month_before || issued_on == month_after, "{issued_on} is not {month_before}");
    assert_eq!(subject["certificateId"], "**Id**");

    // The row.
    let row = &stack
        .database
        .query(r#"SELECT "userId"::text, "courseId", "certificateId", status, "issuedOn"::text FROM user_course_certificate"#)
        .await[0];
    assert_eq!(row.get::<_, String>(0), body["userId"].as_str().unwrap());
    assert_eq!(row.get::<_, String>(1), body["courseId"].as_str().unwrap());
    assert_eq!(row.get::<_, String>(2), certificate_id);
    assert_eq!(row.get::<_, String>(3), "viewCertificate");
    assert_eq!(row.get::<_, String>(4), "2025-10-13 00:00:00+00");

    // Exactly one record in the topic, read by an independent consumer.
    let records = consume(KAFKA_BROKERS, &stack.topic, 1, SETTLE, TIMEOUT);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record.key.as_deref(), body["courseId"].as_str());
    let event = &record.value;
    assert_eq!(event["eventType"], "COURSE_STATUS_UPDATED");
    assert!(event["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        event["data"],
        json!({
            "userId": body["userId"], "courseId": body["courseId"], "courseName": body["courseName"],
            "certificateId": certificate_id, "firstName": "John", "lastName": "Doe",
            "issuanceDate": body["issuanceDate"], "expirationDate": body["expirationDate"],
            "status": "viewCertificate", "eventType": "CERTIFICATE_ISSUED"
        })
    );
    assert_eq!(record.header("ce_id"), event["eventId"].as_str());
    assert_eq!(record.header("content-type"), Some("application/json"));
    assert!(app.wait_for_log("Certificate issued event published for user", TIMEOUT).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_originals_path_serves_too_and_an_enrolled_learners_row_keeps_its_columns() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    stack
        .database
        .execute(&format!(
            r#"INSERT INTO user_course_certificate ("userId", "courseId", status, progress, "completionPercentage", "createdBy")
               VALUES ('{}', '{}', 'enrolled', 100, 100, 'enrolment')"#,
            body["userId"].as_str().unwrap(),
            body["courseId"].as_str().unwrap()
        ))
        .await;

    let answer = app
        .send("POST", "/v1/tracking/certificate/issue", "application/json", body.to_string().into_bytes(), &[])
        .await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    let row = &stack
        .database
        .query(r#"SELECT status, progress, "completionPercentage", "createdBy", "certificateId" FROM user_course_certificate"#)
        .await[0];
    assert_eq!(row.get::<_, String>(0), "viewCertificate");
    assert_eq!(row.get::<_, i32>(1), 100);
    assert_eq!(row.get::<_, i32>(2), 100);
    assert_eq!(row.get::<_, String>(3), "enrolment");
    assert_eq!(row.get::<_, String>(4), answer.body["data"]["credential"]["id"].as_str().unwrap());
    assert_eq!(rows(&stack).await, 1);
}

async fn assert_upstream_failure(set: impl FnOnce(&Stack), status: u16, names: &str) {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    set(&stack);
    let answer = app.issue(&contract_body()).await;
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["success"], false);
    assert_eq!(answer.body["statusCode"], status);
    assert!(answer.body["message"].as_str().unwrap().contains(names), "{}", answer.body);
    assert_eq!(rows(&stack).await, 0);
    assert_eq!(outbox(&stack).await, 0);
    assert!(consume(KAFKA_BROKERS, &stack.topic, 0, SETTLE, SETTLE).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_service_500_is_a_502_and_nothing_is_stored_or_published() {
    assert_upstream_failure(|s| s.upstreams.set_credentials(Behaviour::Status(500)), 502, "credential service").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_service_500_is_a_502_naming_it() {
    assert_upstream_failure(|s| s.upstreams.set_identity(Behaviour::Status(500)), 502, "identity service").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_credential_service_is_a_504() {
    let stall = Behaviour::Stall(Duration::from_secs(3));
    assert_upstream_failure(|s| s.upstreams.set_credentials(stall), 504, "credential service").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_from_the_identity_service_is_a_502() {
    assert_upstream_failure(
        |s| s.upstreams.set_identity(Behaviour::Garbage),
        502,
        "identity service sent an answer that cannot be read",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_database_is_a_503_with_no_upstream_call() {
    let stack = Stack::new().await;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap());
    let url = stack.database.url.replace("127.0.0.1:5432", &proxy.address());
    let env = with(stack.env(KAFKA_BROKERS), &[("DATABASE_URL", &url), ("DB_TIMEOUT_MS", "1500")]);
    let app = TestApp::spawn(env).await;
    proxy.cut();

    let answer = app.issue(&contract_body()).await;

    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.body["success"], false);
    assert_eq!(answer.body["message"], "the database is unavailable", "product words, not the driver's text");
    let request_id = answer.request_id.clone().expect("every answer names its request");
    let logged = app.logs().into_iter().find(|line| line.contains("issuance failed")).expect("the cause is logged");
    assert!(logged.contains("\"level\":\"ERROR\"") && logged.contains(&request_id), "{logged}");
    assert_eq!(stack.upstreams.did_calls(), 0);
    assert_eq!(app.get("/health/ready").await.status, 503);
    proxy.restore();
    assert_eq!(app.issue(&contract_body()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_creates_its_topic_on_start() {
    let stack = Stack::new().await;
    assert!(!topic_exists(KAFKA_BROKERS, &stack.topic));
    // KAFKA_ENABLED, the other spelling of the NestJS service's kafkaEnabled.
    let mut env: Vec<(String, String)> =
        stack.env(KAFKA_BROKERS).into_iter().filter(|(k, _)| k != "kafkaEnabled").collect();
    env.push(("KAFKA_ENABLED".into(), "true".into()));
    let app = TestApp::spawn(env).await;
    assert!(app.wait_for_log("created the Kafka topic", TIMEOUT).await, "{:?}", app.logs());
    assert!(topic_exists(KAFKA_BROKERS, &stack.topic));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_kafka_disabled_nothing_is_published_and_a_replay_publishes_it_once_kafka_is_enabled() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("kafkaEnabled", "false")])).await;
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let answer = app.issue(&contract_body()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(app.wait_for_log("Kafka is disabled. Skipping tracking event publish.", TIMEOUT).await);
    assert!(!topic_exists(KAFKA_BROKERS, &stack.topic), "nothing may even create the topic");
    // The event is kept in the outbox, handled: nothing waits for a broker.
    assert_eq!(outbox(&stack).await, 1, "the event is in the outbox");
    certificate_system_tests::invariants::wait_for_drained_outbox(&stack).await;
    drop(app);

    let enabled = stack.start_app().await;
    assert!(enabled.cli(&["outbox", "replay", "--since", &before]).starts_with("1 "));
    let records = consume(KAFKA_BROKERS, &stack.topic, 1, SETTLE, TIMEOUT);
    assert_eq!(records.len(), 1, "the replay published the event once Kafka was enabled");
    assert_eq!(records[0].value["data"]["certificateId"], answer.body["data"]["credential"]["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_broker_down_the_issuance_succeeds_and_the_event_arrives_later() {
    let stack = Stack::new().await;
    let broker = certificate_system_tests::PrivateBroker::start();
    let env = with(stack.env(&broker.brokers()), &[("OUTBOX_MAX_BACKOFF_MS", "1000")]);
    let app = TestApp::spawn(env).await;
    assert!(app.wait_for_log("created the Kafka topic", TIMEOUT).await);
    broker.proxy.cut();

    let answer = app.issue(&contract_body()).await;

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(app.wait_for_log("Failed to publish certificate issued event", TIMEOUT).await, "{:?}", app.logs());
    broker.proxy.restore();
    let records = consume(&broker.brokers(), &stack.topic, 1, SETTLE, Duration::from_secs(40));
    assert_eq!(records.len(), 1, "{:#?}", app.logs().iter().filter(|l| !l.contains("listening")).collect::<Vec<_>>());
    assert_eq!(records[0].value["data"]["certificateId"], answer.body["data"]["credential"]["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_invalid_variable_stops_the_binary_naming_it() {
    let stack = Stack::new().await;
    for (overrides, name) in [
        (vec![("RC_CREDENTIALS_API_BASE_URL", "")], "RC_CREDENTIALS_API_BASE_URL"),
        (vec![("PORT", "eighty")], "PORT"),
        (vec![("KAFKA_CLIENT", "java")], "KAFKA_CLIENT"),
        (vec![("kafkaEnabled", "maybe")], "kafkaEnabled"),
        (vec![("KAFKA_TOPIC_PARTITIONS", "0")], "KAFKA_TOPIC_PARTITIONS"),
        (vec![("OUTBOX_RETENTION", "soon")], "OUTBOX_RETENTION"),
        (vec![("DB_POOL_SIZE", "0")], "DB_POOL_SIZE"),
        (vec![("DATABASE_URL", ""), ("POSTGRES_HOST", "db")], "POSTGRES_DATABASE"),
        (vec![("RC_IDENTITY_API_BASE_URL", ""), ("RC_CREDENTIALS_API_BASE_URL", "")], "RC_IDENTITY_API_BASE_URL"),
        (vec![("DATABASE_URL", "")], "DATABASE_URL"),
    ] {
        let output = certificate_system_tests::app_command(&with(stack.env(KAFKA_BROKERS), &overrides), &[])
            .output()
            .expect("run the binary");
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_default_answers_the_readme_example_and_logs_the_event() {
    let app = TestApp::spawn(Vec::new()).await;
    assert!(app.logs()[0].contains("embedded mode"), "{:?}", app.logs());
    let readme_example: Value = json!({
        "userId": "af771398-bc1a-4350-b849-907561d25957",
        "courseId": "do_21430769261883392012483",
        "courseName": "Introduction to Programming",
        "firstName": "John",
        "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z",
        "expirationDate": "2026-10-13T00:00:00.000Z"
    });
    let answer = app.issue(&readme_example).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(app.wait_for_log(r#"\"eventType\":\"COURSE_STATUS_UPDATED\""#, TIMEOUT).await, "{:?}", app.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_commands_need_only_the_database() {
    let stack = Stack::new().await;
    let env = vec![("DATABASE_URL".to_owned(), stack.database.url.clone())];
    let migrate = certificate_system_tests::app_command(&env, &["migrate"]).output().expect("run migrate");
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    assert_eq!(rows(&stack).await, 0, "the table exists");
    let status =
        certificate_system_tests::app_command(&env, &["outbox", "status"]).output().expect("run outbox status");
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success() && stdout.contains("pending: 0") && stdout.contains("dead: 0"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_any_text_field_is_a_400_naming_it_and_nothing_is_stored() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    for field in ["courseId", "courseName", "firstName", "middleName", "lastName", "issuedOn"] {
        let mut body = contract_body();
        body[field] = json!("before\u{0}after");
        let answer = app.issue(&body).await;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        assert_eq!(answer.body["errors"], json!([{"field": field, "message": "must not contain control characters"}]));
    }
    assert_eq!(rows(&stack).await, 0);
    assert_eq!(stack.upstreams.did_calls(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issued_certificate_reads_back_from_postgres_and_an_enrolled_learner_without_one_is_a_404() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    let issued = app.issue(&body).await;
    assert_eq!(issued.status, 200);

    let path = format!("/certificate/{}/{}", body["userId"].as_str().unwrap(), body["courseId"].as_str().unwrap());
    let read = app.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["data"]["credential"], issued.body["data"]);
    assert_eq!(read.body["data"]["certificateId"], issued.body["data"]["credential"]["id"]);
    assert_eq!(read.body["data"]["status"], "viewCertificate");

    let enrolled = uuid::Uuid::new_v4();
    stack
        .database
        .execute(&format!(
            "INSERT INTO user_course_certificate (\"userId\", \"courseId\", status) VALUES ('{enrolled}', 'do_x', 'enrolled')"
        ))
        .await;
    assert_eq!(app.get(&format!("/certificate/{enrolled}/do_x")).await.status, 404);
    let nul = app.get(&format!("/certificate/{enrolled}/do%00x")).await;
    assert_eq!(nul.status, 400, "{}", nul.body);
    assert_eq!(nul.body["errors"], json!([{"field": "courseId", "message": "must not contain control characters"}]));
}
