//! `GET /certificate/{certificateId}/verify` on the real binary, real Postgres
//! and the HTTP fake of the credential service: its verdict passed through,
//! 404 for an id it does not know, 502/504 when it fails, a bad id a 400.

use std::time::Duration;

use certificate_system_tests::{contract_body, Behaviour, Stack, TestApp};
use serde_json::{json, Value};

async fn issued_certificate(app: &TestApp, body: &Value) -> String {
    let issued = app.issue(body).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    issued.body["data"]["credential"]["id"].as_str().expect("a credential id").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_passes_the_credential_services_verdict_through() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let certificate_id = issued_certificate(&app, &contract_body()).await;

    for prefix in ["", "/v1/tracking"] {
        let verified = app.get(&format!("{prefix}/certificate/{certificate_id}/verify")).await;
        assert_eq!(verified.status, 200, "{}", verified.body);
        assert_eq!(verified.body["success"], true);
        assert_eq!(
            verified.body["data"],
            json!({"status": "ISSUED", "checks": [{"active": "OK", "revoked": "OK", "expired": "OK", "proof": "OK"}]})
        );
    }

    let unknown = app.get("/certificate/did:rcw:unknown/verify").await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(unknown.body["success"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_certificate_verifies_as_revoked() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let body = contract_body();
    let first = issued_certificate(&app, &body).await;
    let mut reissue = body;
    reissue["reissue"] = json!(true);
    assert_eq!(app.issue(&reissue).await.status, 200);

    let started = std::time::Instant::now();
    loop {
        let status = app.get(&format!("/certificate/{first}/verify")).await.body["data"]["status"].clone();
        if status == "REVOKED" {
            break;
        }
        assert_eq!(status, "ISSUED", "until the revocation lands");
        assert!(started.elapsed() < Duration::from_secs(30), "the superseded credential was never revoked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_credential_service_gives_502_and_a_stalling_one_504() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let certificate_id = issued_certificate(&app, &contract_body()).await;
    let path = format!("/certificate/{certificate_id}/verify");

    for (behaviour, status, message) in [
        (Behaviour::Status(500), 502, "the credential service answered HTTP 500"),
        (Behaviour::Garbage, 502, "the credential service sent an answer that cannot be read"),
        (Behaviour::Stall(Duration::from_secs(3)), 504, "the credential service timed out"),
    ] {
        stack.upstreams.set_verify(behaviour);
        let answer = app.get(&path).await;
        assert_eq!(answer.status, status, "{behaviour:?}: {}", answer.body);
        assert_eq!(answer.body["message"], message, "{behaviour:?}");
        let page = app.send_raw("GET", &path, "", vec![], &[("Accept", "text/html")]).await;
        let html = String::from_utf8_lossy(&page.body);
        assert_eq!(page.status, status, "the page keeps the status: {behaviour:?}");
        assert!(html.contains("<h1>Status could not be checked</h1>"), "a browser is told in words: {html}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_id_with_a_control_character_or_too_long_is_a_400_naming_it() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    for id in ["did%00x".to_owned(), "x".repeat(256)] {
        let answer = app.get(&format!("/certificate/{id}/verify")).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert_eq!(answer.body["errors"][0]["field"], "certificateId");
    }
    assert_eq!(stack.upstreams.verify_calls(), 0);
}
