//! One credential per certificate when an answer is lost: every attempt of an
//! issuance is tagged `issuance:<id>` at the credential service, and an
//! attempt after one whose outcome is unknown looks the tag up first. A
//! re-issue revokes the credential it supersedes. The real binary, real
//! Postgres, the HTTP fake of the credential service.

use std::time::{Duration, Instant};

use certificate_system_tests::{consume, contract_body, with, Behaviour, Stack, TestApp, KAFKA_BROKERS};
use serde_json::{json, Value};

/// The learner and course of a request body.
fn certificate_of(body: &Value) -> (String, String) {
    (body["userId"].as_str().unwrap().to_owned(), body["courseId"].as_str().unwrap().to_owned())
}

fn credential_id(answer: &Value) -> &str {
    answer["data"]["credential"]["id"].as_str().unwrap_or_default()
}

/// Credential ids the fake holds for the body's learner and course.
fn held(stack: &Stack, body: &Value) -> Vec<(String, bool)> {
    let (user_id, course_id) = certificate_of(body);
    stack.upstreams.credentials_of(&user_id, &course_id)
}

async fn rows_and_events(stack: &Stack) -> (i64, i64) {
    let rows = stack.database.count("SELECT count(*) FROM user_course_certificate").await;
    (rows, stack.database.count("SELECT count(*) FROM certificate_outbox").await)
}

/// The credential service keeps the credential but answers after the
/// service's 1 s upstream timeout.
async fn a_lost_answer(stack: &Stack, app: &TestApp, body: &Value) {
    stack.upstreams.set_credentials(Behaviour::IssueThenStall(Duration::from_secs(3)));
    assert_eq!(app.issue(body).await.status, 504);
    assert_eq!(held(stack, body).len(), 1, "the credential was made upstream");
    assert_eq!(rows_and_events(stack).await, (0, 0), "and nothing recorded");
    stack.upstreams.set_credentials(Behaviour::Answer);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_whose_answer_timed_out_is_found_by_the_retry_not_issued_twice() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    a_lost_answer(&stack, &app, &body).await;

    let retry = app.issue(&body).await;

    assert_eq!(retry.status, 200, "{:?}", retry.body);
    let held = held(&stack, &body);
    assert_eq!(held.len(), 1, "exactly one credential upstream: {held:?}");
    assert_eq!(credential_id(&retry.body), held[0].0, "the retry answers with that credential");
    assert_eq!(rows_and_events(&stack).await, (1, 1));
    assert_eq!(stack.upstreams.credential_calls(), 1, "the retry looked it up instead of issuing");
    let tags = stack.upstreams.credentials_per_tag();
    assert!(tags.keys().all(|tag| tag.starts_with("issuance:")) && tags.values().all(|n| *n == 1), "{tags:?}");
}

/// The credential service issues, then its answer is lost on the way back
/// (`behaviour`): the service finds the credential by its tag and records it,
/// instead of sending the POST again.
async fn a_lost_answer_after_issuing_is_recorded_once(behaviour: Behaviour) {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    stack.upstreams.set_credentials(behaviour);

    let answer = app.issue(&body).await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let held = held(&stack, &body);
    assert_eq!(held.len(), 1, "exactly one credential upstream: {held:?}");
    assert_eq!(credential_id(&answer.body), held[0].0, "the answer is that credential");
    assert_eq!(stack.upstreams.credential_calls(), 1, "the issue call was not sent again");
    assert_eq!(stack.upstreams.lookup_calls(), 1, "its tag was looked up instead");
    assert_eq!(rows_and_events(&stack).await, (1, 1));
    let records = consume(KAFKA_BROKERS, &stack.topic, 1, Duration::from_secs(1), Duration::from_secs(30));
    let published: Vec<&str> = records.iter().map(|r| r.value["data"]["certificateId"].as_str().unwrap()).collect();
    assert_eq!(published, [held[0].0.as_str()], "one event, for that credential");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_after_issuing_makes_no_second_credential() {
    a_lost_answer_after_issuing_is_recorded_once(Behaviour::IssueThenDrop).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_502_after_issuing_makes_no_second_credential() {
    a_lost_answer_after_issuing_is_recorded_once(Behaviour::IssueThenStatus(502)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_error_before_issuing_fails_the_attempt_and_the_retry_issues_once() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    stack.upstreams.set_credentials(Behaviour::Status(502));
    let failed = app.issue(&body).await;
    assert_eq!(failed.status, 502, "{:?}", failed.body);
    assert_eq!(stack.upstreams.credential_calls(), 1, "a POST whose outcome is unknown is never sent twice");
    assert_eq!(stack.upstreams.lookup_calls(), 1, "the lookup found nothing");
    assert_eq!(rows_and_events(&stack).await, (0, 0));

    stack.upstreams.set_credentials(Behaviour::Answer);
    let retry = app.issue(&body).await;
    assert_eq!(retry.status, 200, "{:?}", retry.body);
    assert_eq!(stack.upstreams.lookup_calls(), 2, "the retry looked first");
    assert_eq!(held(&stack, &body).len(), 1);
    assert_eq!(rows_and_events(&stack).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_killed_after_the_credential_was_made_issues_no_second_one_after_restart() {
    let stack = Stack::new().await;
    // A lease that short needs credential calls shorter still: one attempt of 1 s.
    let env = with(stack.env(KAFKA_BROKERS), &[("CLAIM_LEASE_MS", "1500"), ("UPSTREAM_RETRIES", "0")]);
    let mut app = TestApp::process(env.clone()).await;
    let body = contract_body();
    stack.upstreams.set_credentials(Behaviour::IssueThenStall(Duration::from_millis(800)));
    let kill_once_issued = async {
        let started = Instant::now();
        while held(&stack, &body).is_empty() {
            assert!(started.elapsed() < Duration::from_secs(10), "the credential service was never called");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        app.signal("KILL");
    };
    let (killed, ()) = tokio::join!(app.issue(&body), kill_once_issued);
    assert_eq!(killed.status, 0, "the process died before answering");
    app.wait_exit(Duration::from_secs(10)).await;
    stack.upstreams.set_credentials(Behaviour::Answer);

    let restarted = TestApp::spawn(env).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let retry = restarted.issue(&body).await;

    assert_eq!(retry.status, 200, "{:?}", retry.body);
    let held = held(&stack, &body);
    assert_eq!(held.len(), 1, "exactly one credential upstream: {held:?}");
    assert_eq!(credential_id(&retry.body), held[0].0);
    assert_eq!(rows_and_events(&stack).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_lookup_issues_and_records_nothing_and_the_next_retry_succeeds_once() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    a_lost_answer(&stack, &app, &body).await;

    stack.upstreams.set_lookup(Behaviour::Status(500));
    assert_eq!(app.issue(&body).await.status, 502);
    stack.upstreams.set_lookup(Behaviour::Stall(Duration::from_secs(3)));
    assert_eq!(app.issue(&body).await.status, 504);
    assert_eq!(stack.upstreams.credential_calls(), 1, "no credential is issued while the lookup fails");
    assert_eq!(rows_and_events(&stack).await, (0, 0));

    stack.upstreams.set_lookup(Behaviour::Answer);
    let retry = app.issue(&body).await;
    assert_eq!(retry.status, 200, "{:?}", retry.body);
    assert_eq!(held(&stack, &body).len(), 1);
    assert_eq!(rows_and_events(&stack).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reissue_revokes_the_superseded_credential_even_after_two_refusals() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("OUTBOX_BASE_BACKOFF_MS", "100")])).await;
    stack.upstreams.set_revoke(Behaviour::StatusTimes(500, 2));
    let body = contract_body();
    let first = app.issue(&body).await;
    let mut reissue_body = body.clone();
    reissue_body["reissue"] = json!(true);
    let second = app.issue(&reissue_body).await;
    assert_eq!((first.status, second.status), (200, 200));

    let started = Instant::now();
    while !held(&stack, &body).first().is_some_and(|(_, revoked)| *revoked) {
        assert!(started.elapsed() < Duration::from_secs(30), "never revoked: {:?}", held(&stack, &body));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = held(&stack, &body);
    assert_eq!(held.len(), 2);
    assert_eq!((held[0].0.as_str(), held[0].1), (credential_id(&first.body), true), "the first is revoked");
    assert_eq!((held[1].0.as_str(), held[1].1), (credential_id(&second.body), false), "the second stands");
    assert!(stack.upstreams.revoke_calls() >= 3, "refused twice, then accepted");
    let status = app.cli(&["outbox", "status"]);
    assert!(status.contains("revocations pending: 0"), "{status}");

    let records = consume(KAFKA_BROKERS, &stack.topic, 2, Duration::from_secs(1), Duration::from_secs(30));
    let certificate_ids: Vec<&str> =
        records.iter().map(|r| r.value["data"]["certificateId"].as_str().unwrap()).collect();
    assert_eq!(certificate_ids, [credential_id(&first.body), credential_id(&second.body)], "two events, in order");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_revoke_on_reissue_off_the_superseded_credential_stays() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("REVOKE_ON_REISSUE", "false")])).await;
    let body = contract_body();
    assert_eq!(app.issue(&body).await.status, 200);
    let mut reissue_body = body.clone();
    reissue_body["reissue"] = json!(true);
    assert_eq!(app.issue(&reissue_body).await.status, 200);
    // Nothing was queued in the re-issue's transaction, so nothing can be revoked later.
    let queued = stack.database.count("SELECT count(*) FROM certificate_revocation").await;
    assert_eq!(queued, 0, "no revocation queued");
    assert!(app.cli(&["outbox", "status"]).contains("revocations pending: 0"));
    assert!(held(&stack, &body).iter().all(|(_, revoked)| !revoked));
    assert_eq!(stack.upstreams.revoke_calls(), 0);
}

/// The soak's finding (RELIABILITY.md): a claim that expires while its
/// request waits on the identity service let a duplicate issue too. A
/// request with less lease left than a credential call can take sends none.
#[tokio::test(flavor = "multi_thread")]
async fn an_identity_answer_too_late_for_the_claim_sends_no_credential_call() {
    let stack = Stack::new().await;
    // A credential call takes 1 s at most here, in a lease of 1.5 s.
    let limits = [("CLAIM_LEASE_MS", "1500"), ("UPSTREAM_TIMEOUT_MS", "1000"), ("UPSTREAM_RETRIES", "0")];
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &limits)).await;
    let body = contract_body();
    stack.upstreams.set_identity(Behaviour::Stall(Duration::from_millis(700)));
    let answer = app.issue(&body).await;
    assert_eq!(answer.status, 504, "{:?}", answer.body);
    assert!(held(&stack, &body).is_empty(), "no credential call was sent");
    assert_eq!(rows_and_events(&stack).await, (0, 0));

    stack.upstreams.set_identity(Behaviour::Answer);
    assert_eq!(app.issue(&body).await.status, 200);
    assert_eq!(held(&stack, &body).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_lease_no_longer_than_a_credential_call_stops_the_binary_naming_the_variable() {
    let stack = Stack::new().await;
    // Two connect attempts of 2 s with their pauses (0.1 s, 0.2 s), then a call of 2 s.
    let env = with(stack.env(KAFKA_BROKERS), &[("CLAIM_LEASE_MS", "3000"), ("UPSTREAM_TIMEOUT_MS", "2000")]);
    let output = certificate_system_tests::app_command(&env, &[]).output().expect("run it");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CLAIM_LEASE_MS (3000 ms)") && stderr.contains("(6300 ms"), "{stderr}");
}
