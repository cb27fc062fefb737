//! The built-in issuer as a did:web, over HTTPS on loopback (tests/src/tls.rs):
//! DCC's verifier-core and Digital Bazaar's did:web driver resolve the DID
//! to the document this service serves
//! and verifies the Open Badge and its revocation with the key it finds
//! there; the verify route agrees; an earlier credential of the same key
//! under its did:key still verifies. Across rotations made with the binary's
//! own `keys` commands, every credential keeps verifying with its status,
//! and a compromised key's credentials from its compromise on do not.

use std::path::Path;

use certificate_system_tests::{
    app_command, contract_body, dcc_verified_trusting, independently_verified_trusting, with, Stack, TestApp, TlsFront,
};
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
    let judged = independently_verified_trusting(&badge, trusted);
    assert!(judged.verified, "Digital Bazaar's did:web resolution: {}", judged.printed);
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

#[tokio::test(flavor = "multi_thread")]
async fn a_did_web_with_a_path_is_served_and_resolved_there() {
    let stack = Stack::new().await;
    let mut front = TlsFront::start();
    let did = format!("did:web:localhost%3A{}:issuers:example", front.port);
    let app = TestApp::spawn(with(stack.local_issuer_env(&[]), &[("ISSUER_DID", &did)])).await;
    front.forward_to(&app.url(""));
    let badge = issued(&app).await;
    assert_eq!(badge["issuer"]["id"], did.as_str());
    let document = app.get("/issuers/example/did.json").await;
    assert_eq!((document.status, document.body["id"].as_str()), (200, Some(did.as_str())));
    assert_eq!(app.get("/issuers/other/did.json").await.status, 404, "only the DID's own path");
    let trusted = Some(front.certificate());
    let dcc = dcc_verified_trusting(&badge, trusted);
    assert!(dcc.signature_valid, "DCC's verifier-core: {}", dcc.printed);
    let judged = independently_verified_trusting(&badge, trusted);
    assert!(judged.verified, "Digital Bazaar's did:web resolution: {}", judged.printed);
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

/// Runs `certificate-service keys ARGS --file FILE`; answers what it printed.
fn keys(file: &Path, args: &[&str]) -> String {
    let file = file.to_str().unwrap();
    let output = app_command(&[], &[&["keys"], args, &["--file", file]].concat()).output().expect("the binary runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "keys {args:?}: {printed}{}", String::from_utf8_lossy(&output.stderr));
    printed
}

/// The key a credential's proof names: its multikey.
fn signing_key(credential: &Value) -> String {
    let method = credential["proof"]["verificationMethod"].as_str().unwrap();
    method.split_once('#').unwrap().1.to_owned()
}

async fn revoke(app: &TestApp, credential: &Value) {
    let (id, authorization) = (credential["id"].as_str().unwrap(), format!("Bearer {ADMIN}"));
    let path = format!("/certificate/{id}/revoke");
    let revoked = app.post_json(&path, &json!({"reason": "fraud"}), &[("Authorization", &authorization)]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn across_two_rotations_every_credential_verifies_with_its_status_and_a_compromised_keys_later_ones_do_not() {
    let stack = Stack::new().await;
    let mut front = TlsFront::start();
    let did = format!("did:web:localhost%3A{}", front.port);
    let keyring = std::env::temp_dir().join(format!("keys-{}.json", uuid::Uuid::new_v4()));
    keys(&keyring, &["init"]);
    // Each restart listens on a new port: the lists are named under the front's.
    let public = format!("https://localhost:{}", front.port);
    let settings = [
        ("ADMIN_TOKENS", ADMIN),
        ("ISSUER_DID", &did),
        ("ISSUER_KEYS_FILE", keyring.to_str().unwrap()),
        ("PUBLIC_BASE_URL", &public),
    ];
    let env: Vec<(String, String)> =
        stack.local_issuer_env(&settings).into_iter().filter(|(name, _)| name != "ISSUER_KEY_FILE").collect();
    let serving = |front: &mut TlsFront, app: &TestApp| front.forward_to(&app.url(""));

    let app = TestApp::spawn(env.clone()).await;
    serving(&mut front, &app);
    let before_the_theft = issued(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let first = issued(&app).await;
    let stolen = issued(&app).await;
    drop(app);

    keys(&keyring, &["rotate"]);
    let app = TestApp::spawn(env.clone()).await;
    serving(&mut front, &app);
    let second = issued(&app).await;
    assert_ne!(signing_key(&second), signing_key(&first), "the rotated key signs");
    drop(app);

    keys(&keyring, &["rotate"]);
    let app = TestApp::spawn(env.clone()).await;
    serving(&mut front, &app);
    let third = issued(&app).await;
    revoke(&app, &first).await;
    let trusted = Some(front.certificate());
    for (credential, revoked) in [(&first, true), (&second, false), (&third, false)] {
        let dcc = dcc_verified_trusting(credential, trusted);
        assert!(dcc.signature_valid, "{}", dcc.printed);
        assert_eq!(dcc.not_revoked, Some(!revoked), "{}", dcc.printed);
        let judged = independently_verified_trusting(credential, trusted);
        assert!(judged.verified, "Digital Bazaar's did:web resolution: {}", judged.printed);
        assert_eq!(judged.status, json!({"revocation": revoked}), "{}", judged.printed);
        let expected = if revoked { "REVOKED" } else { "ISSUED" };
        assert_eq!(status_on_the_verify_route(&app, credential).await, expected);
    }
    let shown = keys(&keyring, &["show"]);
    assert_eq!(shown.lines().filter(|line| line.starts_with("retired")).count(), 2, "{shown}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&keyring).unwrap()).unwrap();
    let secrets =
        [&file["current"]["secretKeyMultibase"], &file["next"]["secretKeyMultibase"]].map(|s| s.as_str().unwrap());
    let document = app.get("/.well-known/did.json").await.body.to_string();
    let logs = app.logs().join("\n");
    for secret in secrets {
        assert!(!shown.contains(secret) && !document.contains(secret), "a secret shown or published");
        assert!(!logs.contains(secret), "a secret logged");
    }
    drop(app);

    // The first key, stolen after `before_the_theft` was signed, before `first`.
    let since = first["proof"]["created"].as_str().unwrap();
    keys(&keyring, &["compromise", &signing_key(&first), "--since", since]);
    let app = TestApp::spawn(env).await;
    assert_eq!(status_on_the_verify_route(&app, &before_the_theft).await, "ISSUED");
    assert_eq!(status_on_the_verify_route(&app, &stolen).await, "INVALID", "signed by the stolen key from then on");
    assert_eq!(status_on_the_verify_route(&app, &first).await, "REVOKED", "a revocation says more");
}
