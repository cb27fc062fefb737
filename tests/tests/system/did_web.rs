//! The built-in issuer as a did:web, over HTTPS on loopback (tests/src/tls.rs):
//! DCC's verifier-core resolves the DID to the document this service serves
//! and verifies the Open Badge and its revocation with the key it finds
//! there; the verify route agrees; an earlier credential of the same key
//! under its did:key still verifies.

use certificate_system_tests::{contract_body, dcc_verified_trusting, with, Stack, TestApp, TlsFront};
use serde_json::{json, Value};

const ADMIN: &str = "operator-token";

async fn issued(app: &TestApp) -> Value {
    let mut body = contract_body();
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    let answer = app.issue(&body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"]["credential"].clone()
}

async fn status_on_the_verify_route(app: &TestApp, credential: &Value) -> Value {
    let verdict = app.get(&format!("/certificate/{}/verify", credential["id"].as_str().unwrap())).await;
    verdict.body["data"]["status"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn dccs_verifier_resolves_the_did_web_over_https_and_verifies_the_badge_and_its_revocation() {
    let stack = Stack::new().await;
    let mut front = TlsFront::start();
    let did = format!("did:web:localhost%3A{}", front.port);
    let env = with(stack.local_issuer_env(&[("ADMIN_TOKENS", ADMIN)]), &[("ISSUER_DID", &did)]);
    let app = TestApp::spawn(env).await;
    front.forward_to(&app.url(""));

    let badge = issued(&app).await;
    assert_eq!(badge["issuer"]["id"], did.as_str());
    assert!(badge["proof"]["verificationMethod"].as_str().unwrap().starts_with(&format!("{did}#z6Mk")));
    let document = app.get("/.well-known/did.json").await;
    assert_eq!(document.body["id"], did.as_str());
    assert_eq!(document.body["assertionMethod"], json!([badge["proof"]["verificationMethod"]]));
    let raw = app.send_raw("GET", "/.well-known/did.json", "", vec![], &[]).await;
    assert_eq!(raw.header("cache-control"), Some("public, max-age=300"));

    let trusted = Some(front.certificate());
    let dcc = dcc_verified_trusting(&badge, trusted);
    assert!(dcc.signature_valid, "DCC's verifier-core did not verify through did:web: {}", dcc.printed);
    assert_eq!(dcc.not_revoked, Some(true), "{}", dcc.printed);
    assert!(!dcc_verified_trusting(&badge, None).signature_valid, "the key was found without resolving over HTTPS");
    assert_eq!(status_on_the_verify_route(&app, &badge).await, "ISSUED");

    let id = badge["id"].as_str().unwrap();
    let authorization = format!("Bearer {ADMIN}");
    let revoked = app
        .post_json(
            &format!("/certificate/{id}/revoke"),
            &json!({"reason": "fraud"}),
            &[("Authorization", &authorization)],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let dcc = dcc_verified_trusting(&badge, trusted);
    assert_eq!((dcc.signature_valid, dcc.not_revoked), (true, Some(false)), "{}", dcc.printed);
    assert_eq!(status_on_the_verify_route(&app, &badge).await, "REVOKED");
}

/// The same key under its did:key, then under a did:web: the verify route
/// vouches for both credentials (the key is the same).
#[tokio::test(flavor = "multi_thread")]
async fn a_credential_from_before_the_did_web_still_verifies_on_the_verify_route() {
    let stack = Stack::new().await;
    let before = TestApp::spawn(stack.local_issuer_env(&[])).await;
    let earlier = issued(&before).await;
    assert!(earlier["issuer"]["id"].as_str().unwrap().starts_with("did:key:"));
    drop(before);
    let after =
        TestApp::spawn(with(stack.local_issuer_env(&[]), &[("ISSUER_DID", "did:web:university.example")])).await;
    let later = issued(&after).await;
    assert_eq!(later["issuer"]["id"], "did:web:university.example");
    assert_eq!(status_on_the_verify_route(&after, &earlier).await, "ISSUED");
    assert_eq!(status_on_the_verify_route(&after, &later).await, "ISSUED");
}
