//! The page a printed certificate's QR code opens, in Debian's Chromium
//! (tests/src/browser.rs): for a valid, a revoked, a suspended, an expired
//! and an unknown certificate, what it says, that it loads nothing from
//! another host, obeys its own Content-Security-Policy, has no serious or
//! critical axe-core violation and fits a phone; its Open Graph tags and
//! LinkedIn link; Hindi for a Hindi reader; the JSON answer unchanged for
//! API clients; and the operator's privacy settings.

use certificate_system_tests::{contract_body, grave_violations, in_chromium, with, Stack, TestApp};
use serde_json::{json, Value};

const ADMIN: &str = "operator-token";

fn env(stack: &Stack, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let settings =
        [("ADMIN_TOKENS", ADMIN), ("ISSUER_NAME", "Example University"), ("ISSUER_URL", "https://university.example")];
    with(stack.local_issuer_env(&settings), extra)
}

/// Issues a certificate for Ananya Sharma (in Devanagari) with `dates`; answers its id.
async fn issued(app: &TestApp, dates: [&str; 2]) -> String {
    let mut body = contract_body();
    body["firstName"] = json!("अनन्या");
    body["lastName"] = json!("शर्मा");
    body["issuanceDate"] = json!(dates[0]);
    body["expirationDate"] = json!(dates[1]);
    let answer = app.issue(&body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"]["credential"]["id"].as_str().unwrap().to_owned()
}

async fn change(app: &TestApp, id: &str, action: &str) {
    let authorization = format!("Bearer {ADMIN}");
    let path = format!("/certificate/{id}/{action}");
    let answer = app.post_json(&path, &json!({"reason": "checked"}), &[("Authorization", &authorization)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

fn page_url(app: &TestApp, id: &str) -> String {
    app.url(&format!("/certificate/{id}/verify"))
}

/// The page's address as the service names it (its QR code, its tags):
/// under PUBLIC_BASE_URL, by default http://localhost:<port>.
fn public_url(app: &TestApp, id: &str) -> String {
    page_url(app, id).replacen("127.0.0.1", "localhost", 1)
}

const LIVE: [&str; 2] = ["2025-10-13T00:00:00Z", "2099-10-13T00:00:00Z"];

#[tokio::test(flavor = "multi_thread")]
async fn chromium_shows_each_standing_in_words_loading_nothing_else_accessible_and_fitting_a_phone() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(env(&stack, &[])).await;
    let valid = issued(&app, LIVE).await;
    let revoked = issued(&app, LIVE).await;
    change(&app, &revoked, "revoke").await;
    let suspended = issued(&app, LIVE).await;
    change(&app, &suspended, "suspend").await;
    let expired = issued(&app, ["2020-01-01", "2021-06-30"]).await;
    let unknown = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let cases = [
        (&valid, "valid", 200, "Valid certificate", "This certificate is authentic"),
        (&revoked, "revoked", 200, "Revoked", "Its issuer revoked this certificate on "),
        (&suspended, "suspended", 200, "Suspended", "Its issuer suspended this certificate on "),
        (&expired, "expired", 200, "Expired", "This certificate expired on 30 June 2021."),
        (&unknown, "unknown", 404, "Certificate not found", "No certificate with this id was issued here."),
    ];
    for (id, name, status, heading, sentence) in cases {
        let report = in_chromium(&page_url(&app, id), name, "en-GB,en;q=0.9");
        let shown = format!("{name}: {report:#}");
        assert_eq!(report["status"], status, "{shown}");
        assert_eq!(report["h1"], heading, "{shown}");
        assert!(report["text"].as_str().unwrap().contains(sentence), "{shown}");
        assert_eq!(report["foreign"], json!([]), "nothing from another host: {shown}");
        assert_eq!(report["csp"], json!([]), "the page obeys its own policy: {shown}");
        assert_eq!(report["styled"], true, "its style applied under the policy: {shown}");
        assert_eq!(report["overflows"], false, "fits 390 px: {shown}");
        assert_eq!(grave_violations(&report), Vec::<Value>::new(), "{shown}");
        assert_eq!(report["meta"]["robots"], "noindex, nofollow", "{shown}");
        for screenshot in report["screenshots"].as_array().unwrap() {
            assert!(std::path::Path::new(screenshot.as_str().unwrap()).exists(), "{screenshot}");
        }
    }

    let report = in_chromium(&page_url(&app, &valid), "valid-shared", "en");
    let text = report["text"].as_str().unwrap();
    for shown in ["अनन्या शर्मा", "Introduction to Programming", "Example University", "13 October 2025", &valid]
    {
        assert!(text.contains(shown), "{shown} on the page: {text}");
    }
    let meta = &report["meta"];
    assert_eq!(meta["og:url"], public_url(&app, &valid).as_str());
    assert_eq!(meta["og:title"], "अनन्या शर्मा: Introduction to Programming — Valid certificate");
    assert_eq!(meta["og:site_name"], "Example University");
    assert_eq!(meta["twitter:card"], "summary");
    let linkedin = &report["linkedin"];
    assert_eq!(
        (linkedin["host"].as_str(), linkedin["path"].as_str()),
        (Some("www.linkedin.com"), Some("/profile/add"))
    );
    let query = &linkedin["query"];
    assert_eq!(query["startTask"], "CERTIFICATION_NAME");
    assert_eq!(query["name"], "Introduction to Programming");
    assert_eq!(query["organizationName"], "Example University");
    assert_eq!((query["issueYear"].as_str(), query["issueMonth"].as_str()), (Some("2025"), Some("10")));
    assert_eq!(query["certUrl"], public_url(&app, &valid).as_str());
    assert_eq!(query["certId"], valid.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hindi_reader_gets_the_page_in_hindi() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(env(&stack, &[])).await;
    let revoked = issued(&app, LIVE).await;
    change(&app, &revoked, "revoke").await;
    let report = in_chromium(&page_url(&app, &revoked), "revoked-hi", "hi-IN,hi;q=0.9,en;q=0.8");
    assert_eq!((report["lang"].as_str(), report["h1"].as_str()), (Some("hi"), Some("रद्द किया गया")), "{report:#}");
    assert!(report["text"].as_str().unwrap().contains("जारीकर्ता ने"), "{report:#}");
    assert_eq!(grave_violations(&report), Vec::<Value>::new(), "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_clients_get_the_json_as_before_and_both_answers_vary_with_accept() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(env(&stack, &[])).await;
    let id = issued(&app, LIVE).await;
    let expected = json!({"success": true, "statusCode": 200, "message": "Certificate verified",
        "data": {"status": "ISSUED", "checks": [{"active": "OK", "revoked": "OK", "expired": "OK", "proof": "OK"}]}});
    let path = format!("/certificate/{id}/verify");
    for accept in [None, Some("*/*"), Some("application/json"), Some("application/json, text/html")] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|accept| ("Accept", *accept)).collect();
        let answer = app.send_raw("GET", &path, "", vec![], &headers).await;
        assert_eq!(answer.header("content-type"), Some("application/json"), "{accept:?}");
        assert_eq!(serde_json::from_slice::<Value>(&answer.body).unwrap(), expected, "{accept:?}");
        assert_eq!(answer.header("vary"), Some("Accept, Accept-Language"));
    }
    let page = app.send_raw("GET", &path, "", vec![], &[("Accept", "text/html,*/*;q=0.8")]).await;
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("vary"), Some("Accept, Accept-Language"));
    assert!(page.header("content-security-policy").unwrap().starts_with("default-src 'none';"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_can_keep_names_off_the_page_and_let_it_be_indexed() {
    let stack = Stack::new().await;
    let settings = [("VERIFY_PAGE_SHOWS_NAME", "false"), ("VERIFY_PAGE_INDEXABLE", "true")];
    let app = TestApp::spawn(env(&stack, &settings)).await;
    let id = issued(&app, LIVE).await;
    let path = format!("/certificate/{id}/verify");
    let page = app.send_raw("GET", &path, "", vec![], &[("Accept", "text/html")]).await;
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(!html.contains("अनन्या") && !html.contains("शर्मा"), "the name stays off the page and its tags: {html}");
    assert!(html.contains("Introduction to Programming"), "{html}");
    assert!(html.contains(r#"<meta name="robots" content="index, follow">"#), "{html}");
    assert_eq!(page.header("x-robots-tag"), None);
    let json = app.send_raw("GET", &path, "", vec![], &[]).await;
    assert!(!String::from_utf8(json.body).unwrap().contains("अनन्या"), "the JSON names no one");
}
