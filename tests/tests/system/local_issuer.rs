//! The built-in issuer (`CREDENTIAL_ISSUER=local`) through the real binary
//! on real Postgres: its credentials verify with an independent
//! implementation (Digital Bazaar's @digitalbazaar/vc with the
//! eddsa-rdfc-2022 cryptosuite, installed by make deps, no network), one
//! changed character fails them, and its verify route tells a good
//! credential from a tampered, foreign, expired or revoked one. A key file
//! that is missing, unreadable or malformed stops the binary at start.

use std::path::{Path, PathBuf};
use std::process::Command;

use certificate_system_tests::{contract_body, independently_verified, with, Stack, TestApp, KAFKA_BROKERS};
use serde_json::{json, Value};

/// A multibase (base58btc) Ed25519 seed: a test key, signing nothing real.
const SEED: &str = "z2rUunsq5fxGSjaHbUgj8cQbx4cR8DbPNrdcHwhG1yzJL";

fn key_file(name: &str, contents: &str) -> PathBuf {
    certificate_system_tests::secret_file(&format!("issuer-key-{name}"), contents)
}

fn local_env(stack: &Stack, key: &Path) -> Vec<(String, String)> {
    let key = key.to_str().unwrap();
    with(stack.env(KAFKA_BROKERS), &[("CREDENTIAL_ISSUER", "local"), ("ISSUER_KEY_FILE", key)])
}

async fn verdict(app: &TestApp, certificate_id: &str) -> Value {
    let answer = app.get(&format!("/certificate/{certificate_id}/verify")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"].clone()
}

fn checks(status: &str, [active, revoked, expired, proof]: [&str; 4]) -> Value {
    json!({"status": status, "checks": [{"active": active, "revoked": revoked, "expired": expired, "proof": proof}]})
}

fn lasting(mut body: Value) -> Value {
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issued_credential_verifies_with_digital_bazaars_verifier_and_a_changed_character_does_not() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &key_file("seed", SEED))).await;
    let issued = app.issue(&lasting(contract_body())).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let credential = issued.body["data"]["credential"].clone();
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-rdfc-2022");

    let judged = independently_verified(&credential);
    assert!(judged.verified, "Digital Bazaar's verifier refused it: {}", judged.printed);
    let mut changed = credential.clone();
    let name = changed["credentialSubject"]["name"].as_str().unwrap().to_owned();
    changed["credentialSubject"]["name"] = json!(format!("{name}x"));
    let judged = independently_verified(&changed);
    assert!(!judged.verified, "a changed subject still verified: {}", judged.printed);

    let did_document = app.get("/.well-known/did.json").await;
    assert_eq!(did_document.status, 200);
    assert_eq!(did_document.body["id"], credential["issuer"]["id"]);
    let certificate_id = credential["id"].as_str().unwrap();
    assert_eq!(verdict(&app, certificate_id).await, checks("ISSUED", ["OK", "OK", "OK", "OK"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_tells_tampered_foreign_expired_and_revoked_credentials_apart() {
    let stack = Stack::new().await;
    let key = key_file("seed", SEED);
    let app = TestApp::spawn(local_env(&stack, &key)).await;

    let tampered = app.issue(&lasting(contract_body())).await.body["data"]["credential"]["id"].clone();
    let tampered = tampered.as_str().unwrap();
    stack
        .database
        .execute(&format!(
            "UPDATE certificate_issuance SET credential = replace(credential::text, 'Introduction', 'Advanced')::json \
             WHERE certificate_id = '{tampered}'"
        ))
        .await;
    assert_eq!(verdict(&app, tampered).await, checks("INVALID", ["OK", "OK", "OK", "NOK"]));

    let mut expired_body = contract_body();
    expired_body["expirationDate"] = json!("2025-12-31");
    let expired = app.issue(&expired_body).await.body["data"]["credential"]["id"].clone();
    assert_eq!(verdict(&app, expired.as_str().unwrap()).await, checks("EXPIRED", ["OK", "OK", "NOK", "OK"]));

    let body = lasting(contract_body());
    let first = app.issue(&body).await.body["data"]["credential"]["id"].clone();
    let mut reissue = body;
    reissue["reissue"] = json!(true);
    let second = app.issue(&reissue).await.body["data"]["credential"]["id"].clone();
    assert_eq!(verdict(&app, first.as_str().unwrap()).await, checks("REVOKED", ["OK", "NOK", "OK", "OK"]));
    assert_eq!(verdict(&app, second.as_str().unwrap()).await, checks("ISSUED", ["OK", "OK", "OK", "OK"]));
    drop(app);

    let other_key = key_file("other", "z4cG67phuPs4T7mZwZmgfPL61iVTQGWhKuPFH3uDx1b7m");
    let restarted = TestApp::spawn(local_env(&stack, &other_key)).await;
    assert_eq!(
        verdict(&restarted, second.as_str().unwrap()).await,
        checks("INVALID", ["OK", "OK", "OK", "NOK"]),
        "signed by another key than the service's"
    );
    assert_eq!(restarted.get("/certificate/urn:uuid:nobody/verify").await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_unreadable_malformed_or_world_readable_key_file_stops_the_binary_naming_the_variable() {
    let stack = Stack::new().await;
    let world_readable = key_file("world-readable", SEED);
    std::fs::set_permissions(&world_readable, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let keys = [
        PathBuf::from("/nonexistent/issuer.key"),
        std::env::temp_dir(),
        key_file("malformed", "not a key"),
        world_readable,
    ];
    for key in keys {
        let output = certificate_system_tests::app_command(&local_env(&stack, &key), &[]).output().expect("run it");
        assert_eq!(output.status.code(), Some(2), "{key:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("ISSUER_KEY_FILE"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pkcs8_pem_key_signs_as_well() {
    let pem = Command::new("openssl").args(["genpkey", "-algorithm", "ed25519"]).output().expect("openssl");
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &key_file("pem", &String::from_utf8_lossy(&pem.stdout)))).await;
    let issued = app.issue(&lasting(contract_body())).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let judged = independently_verified(&issued.body["data"]["credential"]);
    assert!(judged.verified, "{}", judged.printed);
}
