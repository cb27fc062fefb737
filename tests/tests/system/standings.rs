//! Revoking, suspending and reinstating on the real stack: the operator's
//! routes behind ADMIN_TOKENS, the bits Digital Bazaar's status list
//! checker (code nobody here wrote) reads from the served lists, the verify
//! and read routes, the events the broker validates against schema 2.0.0,
//! Sunbird RC's DELETE through the revocation queue, a second replica that
//! notices within the ttl, and a re-issue's revocation flipping the
//! superseded credential's bit.

use std::time::{Duration, Instant};

use certificate_system_tests::{
    consume, contract_body, independently_verified, with, PrivateBroker, Stack, TestApp, KAFKA_BROKERS,
};
use serde_json::{json, Value};

use crate::status_lists::status_entries;

const ADMIN: &str = "operator-token";
const API: &str = "platform-token";

fn local_env(stack: &Stack, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    with(stack.local_issuer_env(&[("API_TOKENS", API), ("ADMIN_TOKENS", ADMIN)]), extra)
}

fn lasting() -> Value {
    let mut body = contract_body();
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    body
}

async fn issue(app: &TestApp, body: &Value) -> Value {
    let issued = app.post_json("/certificate/issue", body, &[("Authorization", &format!("Bearer {API}"))]).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    issued.body["data"]["credential"].clone()
}

async fn operate(app: &TestApp, id: &str, action: &str, body: Value) -> (u16, Value) {
    let answer = app
        .post_json(&format!("/certificate/{id}/{action}"), &body, &[("Authorization", &format!("Bearer {ADMIN}"))])
        .await;
    (answer.status, answer.body)
}

async fn verdict(app: &TestApp, id: &str) -> String {
    let answer = app.get(&format!("/certificate/{id}/verify")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"]["status"].as_str().unwrap().to_owned()
}

fn bits(credential: &Value) -> Value {
    let judged = independently_verified(credential);
    assert!(judged.verified, "{}", judged.printed);
    judged.status
}

/// An Open Badge names its revocation list only: suspension shows on the
/// verify route, and to a verifier of a `CourseCertificate`, which names both.
#[tokio::test(flavor = "multi_thread")]
async fn an_operator_suspends_reinstates_and_revokes_and_an_independent_verifier_sees_each() {
    for (format, names_suspension) in [("course-certificate", true), ("open-badge", false)] {
        operator_changes_are_seen(format, names_suspension).await;
    }
}

async fn operator_changes_are_seen(format: &str, names_suspension: bool) {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("CREDENTIAL_FORMAT", format)])).await;
    let expected = |revocation: bool, suspension: bool| match names_suspension {
        true => json!({"revocation": revocation, "suspension": suspension}),
        false => json!({"revocation": revocation}),
    };
    let body = lasting();
    let credential = issue(&app, &body).await;
    let id = credential["id"].as_str().unwrap().to_owned();
    assert_eq!(bits(&credential), expected(false, false), "{format}");

    let (status, answer) = operate(&app, &id, "suspend", json!({"reason": "a complaint is looked at"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["data"]["standing"].as_str(), answer["data"]["reason"].as_str()),
        (Some("suspended"), Some("a complaint is looked at"))
    );
    assert_eq!(bits(&credential), expected(false, true), "{format}");
    assert_eq!(verdict(&app, &id).await, "SUSPENDED");

    let (status, answer) = operate(&app, &id, "reinstate", json!({})).await;
    assert_eq!((status, answer["data"]["standing"].as_str()), (200, Some("active")), "{answer}");
    assert_eq!(bits(&credential), expected(false, false), "{format}");
    assert_eq!(verdict(&app, &id).await, "ISSUED");

    let (status, answer) = operate(&app, &id, "revoke", json!({"reason": "issued by mistake"})).await;
    assert_eq!((status, answer["data"]["standing"].as_str()), (200, Some("revoked")), "{answer}");
    let (again, _) = operate(&app, &id, "revoke", json!({"reason": "issued by mistake"})).await;
    assert_eq!(again, 200, "revoking a revoked certificate is done, not an error");
    assert_eq!(bits(&credential), expected(true, false), "{format}");
    assert_eq!(verdict(&app, &id).await, "REVOKED");
    for action in ["reinstate", "suspend"] {
        let (status, answer) = operate(&app, &id, action, json!({"reason": "changed my mind"})).await;
        assert_eq!(status, 409, "{action} after revoke: {answer}");
        assert!(answer["message"].as_str().unwrap().contains("final"), "{answer}");
    }

    let user = body["userId"].as_str().unwrap();
    let course = body["courseId"].as_str().unwrap();
    let read = app
        .send(
            "GET",
            &format!("/certificate/{user}/{course}"),
            "",
            vec![],
            &[("Authorization", &format!("Bearer {API}"))],
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        (read.body["data"]["standing"].as_str(), read.body["data"]["standingReason"].as_str()),
        (Some("revoked"), Some("issued by mistake"))
    );

    // The issue event, then one event per change, in order, on the course's key; the broker validated each.
    let records = consume(KAFKA_BROKERS, &stack.topic, 4, Duration::from_secs(1), Duration::from_secs(30));
    let kinds: Vec<&str> = records.iter().map(|r| r.value["data"]["eventType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["CERTIFICATE_ISSUED", "CERTIFICATE_SUSPENDED", "CERTIFICATE_REINSTATED", "CERTIFICATE_REVOKED"]);
    let revoked = &records[3].value["data"];
    assert_eq!((revoked["status"].as_str(), revoked["reason"].as_str()), (Some("revoked"), Some("issued by mistake")));
    assert_eq!(revoked["certificateId"], json!(id));
    assert!(records.iter().all(|r| r.key.as_deref() == Some(course)), "all on the course's key");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_a_clear_answer() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let id = issue(&app, &lasting()).await["id"].as_str().unwrap().to_owned();

    let (status, _) =
        operate(&app, "urn:uuid:00000000-0000-0000-0000-000000000000", "revoke", json!({"reason": "x"})).await;
    assert_eq!(status, 404, "an unknown certificate");
    for (reason, why) in [
        (json!("x".repeat(501)), "over 500 characters"),
        (json!("line\nbreak"), "a control character"),
        (json!("  "), "blank"),
        (json!(null), "missing"),
    ] {
        let (status, answer) = operate(&app, &id, "revoke", json!({"reason": reason})).await;
        assert_eq!(status, 400, "{why}: {answer}");
        assert_eq!(answer["errors"][0]["field"], "reason", "{why}: {answer}");
    }
    let path = format!("/certificate/{id}/revoke");
    let body = json!({"reason": "x"}).to_string().into_bytes();
    let without = app.send("POST", &path, "application/json", body.clone(), &[]).await;
    assert_eq!(without.status, 401, "no token");
    let platform =
        app.send("POST", &path, "application/json", body, &[("Authorization", &format!("Bearer {API}"))]).await;
    assert_eq!(platform.status, 401, "the API's token is not an operator's");
    assert_eq!(verdict(&app, &id).await, "ISSUED", "nothing changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_replica_serves_the_change_within_the_ttl() {
    let stack = Stack::new().await;
    // Replicas behind one address, as deployed: the first answers at it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let public = format!("http://localhost:{port}");
    let env = local_env(&stack, &[("STATUS_LIST_TTL_SECONDS", "2"), ("PUBLIC_BASE_URL", &public)]);
    // Two processes of the real binary: nothing shared but the database.
    let (one, other) = (TestApp::process(with(env.clone(), &[("PORT", &port)])).await, TestApp::process(env).await);
    let credential = issue(&one, &lasting()).await;
    let list_url = status_entries(&credential)[0]["statusListCredential"].as_str().unwrap().to_owned();
    let path = &list_url[list_url.find("/status/").unwrap()..];
    let before = other.send_raw("GET", path, "", vec![], &[]).await;
    assert_eq!(before.status, 200);
    assert_eq!(before.header("cache-control"), Some("public, max-age=2"));

    let (status, _) = operate(&one, credential["id"].as_str().unwrap(), "revoke", json!({"reason": "fraud"})).await;
    assert_eq!(status, 200);
    let revoked_at = Instant::now();
    loop {
        let now = other.send_raw("GET", path, "", vec![], &[]).await;
        if now.header("etag") != before.header("etag") {
            break;
        }
        assert!(revoked_at.elapsed() < Duration::from_secs(2), "the other replica still serves the old list");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A second later, so that a list stamped with the time it was signed
    // (not the time of its change) would differ.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (mine, theirs) =
        (one.send_raw("GET", path, "", vec![], &[]).await, other.send_raw("GET", path, "", vec![], &[]).await);
    assert_eq!(String::from_utf8_lossy(&mine.body), String::from_utf8_lossy(&theirs.body), "the same bytes");
    assert_eq!(bits(&credential)["revocation"], true, "and the bit is set in them");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reissue_flips_the_superseded_credentials_bit() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("OUTBOX_POLL_INTERVAL_MS", "50")])).await;
    let body = lasting();
    let first = issue(&app, &body).await;
    let mut again = body.clone();
    again["reissue"] = json!(true);
    let second = issue(&app, &again).await;
    assert_ne!(first["id"], second["id"]);
    let started = Instant::now();
    while bits(&first)["revocation"] != true {
        assert!(started.elapsed() < Duration::from_secs(10), "the superseded credential's bit was never set");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(bits(&second)["revocation"], false, "the new one is active");
    let (status, answer) = operate(&app, first["id"].as_str().unwrap(), "suspend", json!({"reason": "x"})).await;
    assert_eq!(status, 409, "a superseded certificate is revoked: {answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_sunbird_rc_a_revocation_is_sent_to_it_and_suspension_is_refused() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(stack.env(KAFKA_BROKERS)).await;
    let body = contract_body();
    let issued = app.issue(&body).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let id = issued.body["data"]["credential"]["id"].as_str().unwrap().to_owned();
    let suspended = app.post_json(&format!("/certificate/{id}/suspend"), &json!({"reason": "x"}), &[]).await;
    assert_eq!(suspended.status, 409, "{}", suspended.body);
    assert!(suspended.body["message"].as_str().unwrap().contains("no suspension"), "{}", suspended.body);

    let revoked = app.post_json(&format!("/certificate/{id}/revoke"), &json!({"reason": "fraud"}), &[]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let (user, course) = (body["userId"].as_str().unwrap(), body["courseId"].as_str().unwrap());
    let started = Instant::now();
    while !stack
        .upstreams
        .credentials_of(user, course)
        .iter()
        .any(|(credential, revoked)| *credential == id && *revoked)
    {
        assert!(started.elapsed() < Duration::from_secs(10), "Sunbird RC never got the DELETE");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(verdict(&app, &id).await, "REVOKED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_outage_delays_the_status_event_and_loses_nothing() {
    let stack = Stack::new().await;
    let broker = PrivateBroker::start();
    let brokers = broker.brokers();
    let extra = [
        ("KAFKA_BROKERS", brokers.as_str()),
        ("KAFKA_DELIVERY_TIMEOUT_MS", "1000"),
        ("OUTBOX_BASE_BACKOFF_MS", "200"),
        ("OUTBOX_MAX_BACKOFF_MS", "500"),
    ];
    let app = TestApp::spawn(local_env(&stack, &extra)).await;
    assert!(app.wait_for_log("created the Kafka topic", Duration::from_secs(20)).await);
    let credential = issue(&app, &lasting()).await;
    let issued = consume(&brokers, &stack.topic, 1, Duration::from_millis(500), Duration::from_secs(20));
    assert_eq!(issued.len(), 1, "the issue event went out first");

    broker.proxy.cut();
    let (status, answer) =
        operate(&app, credential["id"].as_str().unwrap(), "revoke", json!({"reason": "fraud"})).await;
    assert_eq!(status, 200, "a revocation needs no broker: {answer}");
    assert_eq!(bits(&credential)["revocation"], true, "the list says so at once");
    assert!(app.wait_for_log("Failed to publish", Duration::from_secs(20)).await, "the event waited for the broker");
    broker.proxy.restore();

    let records = consume(&brokers, &stack.topic, 2, Duration::from_secs(1), Duration::from_secs(30));
    let kinds: Vec<&str> = records.iter().map(|r| r.value["data"]["eventType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["CERTIFICATE_ISSUED", "CERTIFICATE_REVOKED"], "delayed, not lost, not doubled");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_racing_a_reissue_leaves_the_old_credential_revoked_and_the_new_one_active() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("OUTBOX_POLL_INTERVAL_MS", "50")])).await;
    for _ in 0..5 {
        let body = lasting();
        let old = issue(&app, &body).await;
        let old_id = old["id"].as_str().unwrap().to_owned();
        let mut again = body.clone();
        again["reissue"] = json!(true);
        let (revoked, reissued) =
            tokio::join!(operate(&app, &old_id, "revoke", json!({"reason": "fraud"})), issue(&app, &again));
        assert_eq!(revoked.0, 200, "{}", revoked.1);
        let started = Instant::now();
        while bits(&old)["revocation"] != true {
            assert!(started.elapsed() < Duration::from_secs(10), "the old credential's bit was never set");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(verdict(&app, &old_id).await, "REVOKED");
        assert_eq!(bits(&reissued)["revocation"], false, "the new one is active");
        assert_eq!(verdict(&app, reissued["id"].as_str().unwrap()).await, "ISSUED");
    }
}
