//! The built-in issuer's status lists on the real stack: every credential
//! names an entry in a revocation list (an Open Badge, which has room for
//! one) or in a revocation and a suspension list (a `CourseCertificate`),
//! each list is served
//! open at the URL the credential names, signed, cached with an ETag, and
//! Digital Bazaar's @digitalbazaar/vc-bitstring-status-list (code nobody
//! here wrote) reads the credential's bits from it and verifies the list's
//! own proof, which one changed character of its bits breaks.

use std::collections::HashSet;

use certificate_system_tests::{contract_body, independently_verified, Stack, TestApp, KAFKA_BROKERS};
use serde_json::{json, Value};

fn local_env(stack: &Stack, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    stack.local_issuer_env(extra)
}

fn lasting() -> Value {
    let mut body = contract_body();
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    body
}

async fn issued_credential(app: &TestApp) -> Value {
    let issued = app.issue(&lasting()).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    issued.body["data"]["credential"].clone()
}

/// The credential's `credentialStatus` entries: one object, or a list.
pub(crate) fn status_entries(credential: &Value) -> Vec<Value> {
    match &credential["credentialStatus"] {
        Value::Array(entries) => entries.clone(),
        Value::Null => Vec::new(),
        entry => vec![entry.clone()],
    }
}

/// The path of a status list URL the credential names, which is this app's
/// (`PUBLIC_BASE_URL` defaults to `http://localhost:<port>`).
fn list_path(app: &TestApp, url: &str) -> String {
    let base = format!("http://localhost:{}", app.port);
    url.strip_prefix(&base).unwrap_or_else(|| panic!("{url} is not under {base}")).to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_course_certificate_names_both_lists_and_digital_bazaar_reads_its_bits_from_them() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("CREDENTIAL_FORMAT", "course-certificate")])).await;
    let credential = issued_credential(&app).await;
    let status = status_entries(&credential);
    let purposes: Vec<&str> = status.iter().map(|entry| entry["statusPurpose"].as_str().unwrap()).collect();
    assert_eq!(purposes, ["revocation", "suspension"]);
    assert_eq!(status[0]["statusListIndex"], status[1]["statusListIndex"], "one index in both lists");
    let judged = independently_verified(&credential);
    assert!(judged.verified, "Digital Bazaar refused it: {}", judged.printed);
    assert_eq!(judged.status, json!({"revocation": false, "suspension": false}), "{}", judged.printed);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_badge_names_its_revocation_list_and_digital_bazaar_reads_its_bit_from_it() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("API_TOKENS", "a-token")])).await;
    let issued = app.post_json("/certificate/issue", &lasting(), &[("Authorization", "Bearer a-token")]).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let credential = &issued.body["data"]["credential"];
    let status = status_entries(credential);
    assert_eq!((status.len(), status[0]["statusPurpose"].as_str()), (1, Some("revocation")), "{status:?}");

    let judged = independently_verified(credential);
    assert!(judged.verified, "Digital Bazaar refused it: {}", judged.printed);
    assert_eq!(judged.status, json!({"revocation": false}), "{}", judged.printed);

    // Open, like the DID document: a verifier holding the credential has no token.
    let list = app
        .send_raw("GET", &list_path(&app, status[0]["statusListCredential"].as_str().unwrap()), "", vec![], &[])
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.header("content-type"), Some("application/vc+ld+json"));
    assert_eq!(list.header("cache-control"), Some("public, max-age=300"));
    let etag = list.header("etag").expect("an ETag").to_owned();
    let path = list_path(&app, status[0]["statusListCredential"].as_str().unwrap());
    let again = app.send_raw("GET", &path, "", vec![], &[("If-None-Match", &etag)]).await;
    assert_eq!((again.status, again.body.len()), (304, 0), "unchanged: 304, no body");
    assert_eq!(app.send_raw("GET", &path, "", vec![], &[]).await.body, list.body, "the same bytes each time");

    let list: Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(list["issuer"], credential["issuer"]["id"], "the Open Badge's issuer Profile names the same DID");
    let judged = independently_verified(&list);
    assert!(judged.verified, "the list's own proof: {}", judged.printed);
    let mut changed = list.clone();
    let encoded = changed["credentialSubject"]["encodedList"].as_str().unwrap().to_owned();
    let last = encoded.chars().last().unwrap();
    let other = if last == 'A' { 'B' } else { 'A' };
    changed["credentialSubject"]["encodedList"] = json!(format!("{}{other}", &encoded[..encoded.len() - 1]));
    assert!(!independently_verified(&changed).verified, "a changed character of encodedList breaks the proof");
}

#[tokio::test(flavor = "multi_thread")]
async fn learners_get_entries_of_their_own_and_unknown_lists_are_not_found() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let mut indexes = HashSet::new();
    for _ in 0..20 {
        let credential = issued_credential(&app).await;
        let entry = &status_entries(&credential)[0];
        assert_eq!(list_path(&app, entry["statusListCredential"].as_str().unwrap()), "/status/1-revocation");
        assert!(indexes.insert(entry["statusListIndex"].as_str().unwrap().to_owned()), "an entry of its own");
    }
    let in_order: Vec<u32> = (0..20).collect();
    let mut given: Vec<u32> = indexes.iter().map(|index| index.parse().unwrap()).collect();
    given.sort();
    assert_ne!(given, in_order, "indexes do not count issuances");

    for path in ["/status/2-revocation", "/status/1-expiry", "/status/one-revocation", "/status/-1-revocation"] {
        assert_eq!(app.get(path).await.status, 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_default_serves_its_lists_too() {
    let app = TestApp::spawn(Vec::new()).await;
    let credential = issued_credential(&app).await;
    let judged = independently_verified(&credential);
    assert!(judged.verified, "{}", judged.printed);
    assert_eq!(judged.status, json!({"revocation": false}), "{}", judged.printed);
}

#[tokio::test(flavor = "multi_thread")]
async fn sunbird_rc_publishes_no_list_here() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(stack.env(KAFKA_BROKERS)).await;
    let issued = app.issue(&contract_body()).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(app.get("/status/1-revocation").await.status, 404);
}
