//! The built-in issuer's Open Badges 3.0 on the real stack, judged by code
//! nobody here wrote (tests/verifier, installed by make deps, no network):
//! DCC's verifier-core (inside VerifierPlus and the Learner Credential
//! Wallet) and Digital Bazaar's libraries with the eddsa-rdfc-2022
//! cryptosuite verify it and read its revocation, before and after the
//! operator's revoke; 1EdTech's JSON Schema accepts it; jsonld.js drops
//! nothing of any shape the issuer signs; names in any script and operator
//! texts with a tab, a line break or a DEL canonicalize as Digital Bazaar's
//! canonicalizer does; and the earlier `CourseCertificate` is still issued
//! when chosen.

use certificate_system_tests::{
    contract_body, dcc_verified, dropped_by_json_ld, independently_verified, with, workspace_file, Stack, TestApp,
};
use serde_json::{json, Value};

use crate::status_lists::status_entries;

const ADMIN: &str = "operator-token";

fn local_env(stack: &Stack, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    with(stack.local_issuer_env(&[("ADMIN_TOKENS", ADMIN)]), extra)
}

/// A learner and a course whose names hold quotes, an apostrophe, Arabic
/// (right to left), Devanagari and an emoji.
fn worldly_body() -> Value {
    let mut body = contract_body();
    body["firstName"] = json!("अनन्या \"Annie\"");
    body["middleName"] = json!("O'Neil");
    body["lastName"] = json!("شرما 🎓");
    body["courseName"] = json!("Introduction to \"Programming\" — प्रोग्रामिंग");
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    body
}

async fn issued(app: &TestApp, body: &Value) -> Value {
    let answer = app.issue(body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"]["credential"].clone()
}

/// The JSON Schema errors VC 2.0 makes valid: 1EdTech's "json-ld" variant
/// wants a list where a single `proof` is valid (tests/standards/ob3/ORIGIN.md).
const ARRAY_OR_SINGLE: [&str; 1] = ["/proof must be array"];

#[tokio::test(flavor = "multi_thread")]
async fn dccs_verifier_and_digital_bazaars_verify_an_open_badge_and_see_its_revocation() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let badge = issued(&app, &worldly_body()).await;
    assert_eq!(badge["proof"]["cryptosuite"], "eddsa-rdfc-2022");

    let dcc = dcc_verified(&badge);
    assert!(dcc.signature_valid, "DCC's verifier-core refused the signature: {}", dcc.printed);
    assert_eq!((dcc.not_revoked, dcc.not_expired), (Some(true), Some(true)), "{}", dcc.printed);
    assert!(dcc.schema_errors.iter().all(|error| ARRAY_OR_SINGLE.contains(&error.as_str())), "{}", dcc.printed);
    let judged = independently_verified(&badge);
    assert!(judged.verified, "Digital Bazaar refused it: {}", judged.printed);
    assert_eq!(judged.status, json!({"revocation": false}), "{}", judged.printed);

    let mut changed = badge.clone();
    changed["credentialSubject"]["achievement"]["name"] = json!("Advanced Programming");
    assert!(!dcc_verified(&changed).signature_valid, "a changed course name still verified in DCC's verifier");
    assert!(!independently_verified(&changed).verified, "a changed course name still verified");

    let id = badge["id"].as_str().unwrap();
    let revoked = app
        .post_json(
            &format!("/certificate/{id}/revoke"),
            &json!({"reason": "fraud"}),
            &[("Authorization", &format!("Bearer {ADMIN}"))],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let dcc = dcc_verified(&badge);
    assert!(dcc.signature_valid, "{}", dcc.printed);
    assert_eq!(dcc.not_revoked, Some(false), "DCC's verifier sees the revocation: {}", dcc.printed);
    assert_eq!(independently_verified(&badge).status, json!({"revocation": true}));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_badge_is_valid_against_1edtechs_schema() {
    let stack = Stack::new().await;
    let with_profile = [
        ("ISSUER_NAME", "Example University"),
        ("ISSUER_URL", "https://university.example"),
        ("ISSUER_IMAGE_URL", "https://university.example/logo.png"),
    ];
    let app = TestApp::spawn(local_env(&stack, &with_profile)).await;
    let badge = issued(&app, &worldly_body()).await;
    assert_eq!(badge["issuer"]["name"], "Example University");
    let errors = schema_errors(&badge);
    let ours: Vec<&String> = errors.iter().filter(|error| !error.starts_with("/proof ")).collect();
    assert!(ours.is_empty(), "{ours:#?}");
    assert!(!errors.is_empty(), "the single proof is what the json-ld variant calls wrong, and nothing else");
}

/// What 1EdTech's JSON Schema for AchievementCredential finds wrong in `badge`.
fn schema_errors(badge: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_file("tests/standards/ob3/ob_v3p0_achievementcredential_schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("1EdTech's schema compiles");
    validator.iter_errors(badge).map(|error| format!("{} {}", error.instance_path(), error)).collect()
}

/// The edges of what the issue route accepts make Open Badges every judge
/// accepts; past them, a 400 names the field and nothing is issued.
#[tokio::test(flavor = "multi_thread")]
async fn requests_at_the_edges_make_valid_open_badges_and_past_them_a_400_names_the_field() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let mut edges = contract_body();
    edges["courseId"] = json!(format!("{} / é#?%", edges["courseId"].as_str().unwrap()));
    edges["firstName"] = json!("");
    edges["lastName"] = json!("");
    edges["issuanceDate"] = json!("0000-01-01");
    edges["expirationDate"] = json!("9999-12-31T23:59:59Z");
    let badge = issued(&app, &edges).await;
    let dcc = dcc_verified(&badge);
    assert!(dcc.signature_valid && dcc.not_expired == Some(true), "{}", dcc.printed);
    let judged = independently_verified(&badge);
    assert!(judged.verified, "Digital Bazaar refused it: {}", judged.printed);
    let errors = schema_errors(&badge);
    assert!(errors.iter().all(|error| error.starts_with("/proof ")), "{errors:#?}");

    for (field, value) in
        [("expirationDate", "+10000-01-01"), ("issuanceDate", "-0001-12-31"), ("expirationDate", "2025-10-12")]
    {
        let mut body = contract_body();
        body[field] = json!(value);
        let answer = app.issue(&body).await;
        assert_eq!(answer.status, 400, "{field} {value}: {}", answer.body);
        assert!(answer.body["message"].as_str().unwrap().starts_with(&format!("{field} - ")), "{}", answer.body);
        let read = app
            .get(&format!("/certificate/{}/{}", body["userId"].as_str().unwrap(), body["courseId"].as_str().unwrap()))
            .await;
        assert_eq!(read.status, 404, "nothing issued for {field} {value}: {}", read.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_ld_expansion_drops_nothing_of_any_shape_the_issuer_signs() {
    let stack = Stack::new().await;
    let profile =
        [("ISSUER_URL", "https://university.example"), ("ISSUER_IMAGE_URL", "https://university.example/logo.png")];
    let (plain, full) =
        (TestApp::spawn(local_env(&stack, &[])).await, TestApp::spawn(local_env(&stack, &profile)).await);
    let mut without_middle_name = contract_body();
    without_middle_name["expirationDate"] = json!("2099-01-01T00:00:00Z");
    let shapes = [issued(&plain, &without_middle_name).await, issued(&full, &worldly_body()).await];
    let list_url = status_entries(&shapes[0])[0]["statusListCredential"].as_str().unwrap().to_owned();
    let list_path = &list_url[list_url.find("/status/").unwrap()..];
    let list: Value = serde_json::from_slice(&plain.send_raw("GET", list_path, "", vec![], &[]).await.body).unwrap();
    for document in shapes.iter().chain([&list]) {
        assert_eq!(dropped_by_json_ld(document), json!([]), "{document:#}");
    }
    let mut with_a_stray_term = shapes[0].clone();
    with_a_stray_term["credentialSubject"]["firstName"] = json!("Ada");
    assert_ne!(dropped_by_json_ld(&with_a_stray_term), json!([]), "the check sees a term no context defines");
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_texts_with_a_tab_a_line_break_and_a_del_verify_in_digital_bazaars_canonicalization() {
    let stack = Stack::new().await;
    let texts = [
        ("ISSUER_NAME", "Example\tUniversity"),
        ("ACHIEVEMENT_DESCRIPTION", "Completed {course}.\nAll parts."),
        ("ACHIEVEMENT_CRITERIA", "Passed every\u{7f}exam of {course}\r\n"),
    ];
    let app = TestApp::spawn(local_env(&stack, &texts)).await;
    let badge = issued(&app, &worldly_body()).await;
    assert_eq!(badge["issuer"]["name"], "Example\tUniversity");
    let judged = independently_verified(&badge);
    assert!(judged.verified, "Digital Bazaar canonicalized it otherwise: {}", judged.printed);
    assert!(dcc_verified(&badge).signature_valid, "DCC's verifier canonicalized it otherwise");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_earlier_course_certificate_still_issues_and_verifies_when_chosen() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("CREDENTIAL_FORMAT", "course-certificate")])).await;
    let credential = issued(&app, &worldly_body()).await;
    assert_eq!(credential["type"], json!(["VerifiableCredential", "CourseCertificate"]));
    assert_eq!(credential["credentialSubject"]["firstName"], "अनन्या \"Annie\"");
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-jcs-2022");
    let judged = independently_verified(&credential);
    assert!(judged.verified, "{}", judged.printed);
    let verdict = app.get(&format!("/certificate/{}/verify", credential["id"].as_str().unwrap())).await;
    assert_eq!(verdict.body["data"]["status"], "ISSUED", "{}", verdict.body);
}

/// A bad CREDENTIAL_FORMAT or issuer URL stops the binary naming the variable.
#[test]
fn a_bad_setting_of_the_issuer_stops_the_binary_naming_it() {
    for (name, value) in [("CREDENTIAL_FORMAT", "jwt"), ("ISSUER_URL", "university.example"), ("ISSUER_NAME", " ")] {
        let env = vec![(name.to_owned(), value.to_owned())];
        let output = certificate_system_tests::app_command(&env, &[]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}={value}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}
