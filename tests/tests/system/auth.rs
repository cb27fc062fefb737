//! Bearer authentication of the API on the real binary: API_TOKENS and
//! API_TOKENS_FILE, 401s in the envelope, open health and metrics, and no
//! token in any log line.

use std::time::Duration;

use certificate_system_tests::{contract_body, with, Stack, TestApp, KAFKA_BROKERS};

const TOKEN: &str = "s3cret-token-for-the-test";

async fn issue_with_authorization(app: &TestApp, authorization: Option<&str>) -> u16 {
    let headers: Vec<(&str, &str)> = authorization.iter().map(|value| ("Authorization", *value)).collect();
    app.issue_with(&contract_body(), &headers).await.status
}

/// The operations of the service's own OpenAPI document, which lists every
/// route it serves (certificate-http's route table is checked against it):
/// method, concrete path, and whether the document says they need a token.
async fn documented_operations(app: &TestApp) -> Vec<(String, String, bool)> {
    let document = app.get("/openapi.json").await.body;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("the document has paths") {
        let concrete = path
            .replace("{userId}", &uuid::Uuid::new_v4().to_string())
            .replace("{courseId}", "do_1")
            .replace("{certificateId}", "did:upai:cert-unknown")
            .replace("{listId}", "1-revocation");
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"].as_array().is_some_and(|schemes| !schemes.is_empty());
            operations.push((method.to_uppercase(), concrete.clone(), secured));
        }
    }
    operations
}

async fn call(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> u16 {
    let body = if method == "POST" { contract_body().to_string().into_bytes() } else { Vec::new() };
    app.send(method, path, "application/json", body, headers).await.status
}

#[tokio::test(flavor = "multi_thread")]
async fn with_tokens_every_documented_certificate_route_needs_one_and_only_the_operational_ones_are_open() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("API_TOKENS", TOKEN)])).await;
    let operations = documented_operations(&app).await;
    assert!(operations.len() >= 11, "{operations:?}");
    let bearer = format!("Bearer {TOKEN}");
    let mut open = Vec::new();
    for (method, path, secured) in &operations {
        let without = call(&app, method, path, &[]).await;
        if *secured {
            assert_eq!(without, 401, "{method} {path} without a token");
            let with_token = call(&app, method, path, &[("Authorization", &bearer)]).await;
            assert!(![401, 0].contains(&with_token), "{method} {path} with the token: {with_token}");
        } else {
            assert_ne!(without, 401, "{method} {path} is documented as open");
            open.push(path.as_str());
        }
    }
    open.sort();
    let verify = ["/certificate/did:upai:cert-unknown/verify", "/v1/tracking/certificate/did:upai:cert-unknown/verify"];
    let operational =
        ["/.well-known/did.json", "/health/live", "/health/ready", "/metrics", "/openapi.json", "/status/1-revocation"];
    let mut expected = [&operational[..], &verify[..]].concat();
    expected.sort();
    assert_eq!(open, expected, "the QR code's verify route and the status lists are open too");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_tokens_every_api_route_needs_one_and_health_and_metrics_stay_open() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("API_TOKENS", &format!("other, {TOKEN}"))])).await;

    let refused = app.issue(&contract_body()).await;
    assert_eq!(refused.status, 401);
    assert_eq!((refused.body["success"].clone(), refused.body["statusCode"].clone()), (false.into(), 401.into()));
    assert_eq!(issue_with_authorization(&app, Some(&format!("Basic {TOKEN}"))).await, 401, "wrong scheme");
    assert_eq!(issue_with_authorization(&app, Some("Bearer not-the-token")).await, 401, "wrong token");
    assert_eq!(issue_with_authorization(&app, Some(&format!("Bearer {TOKEN}"))).await, 200);
    assert_eq!(issue_with_authorization(&app, Some("Bearer other")).await, 200, "any listed token");
    let original_path = app
        .send(
            "POST",
            "/v1/tracking/certificate/issue",
            "application/json",
            contract_body().to_string().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(original_path.status, 401, "both prefixes");
    assert_eq!(app.get("/health/ready").await.status, 200);
    assert_eq!(app.get("/health/live").await.status, 200);
    assert_eq!(app.send("GET", "/metrics", "text/plain", Vec::new(), &[]).await.status, 200);
    assert!(!app.logged(TOKEN), "a token never reaches the log");
    assert!(!app.logged("unauthenticated"), "no warning when tokens are set");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_asks_for_a_bearer_token() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("API_TOKENS", TOKEN)])).await;
    let url = app.url("/certificate/issue");
    let response = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        agent.post(&url).content_type("application/json").send("{}").unwrap()
    })
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers().get("www-authenticate").unwrap(), "Bearer");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_file_is_read_again_on_restart() {
    let stack = Stack::new().await;
    let file = std::env::temp_dir().join(format!("api-tokens-{}", uuid::Uuid::new_v4()));
    std::fs::write(&file, "first-token\n\n").unwrap();
    let env = with(stack.env(KAFKA_BROKERS), &[("API_TOKENS_FILE", file.to_str().unwrap())]);
    let mut app = TestApp::process(env.clone()).await;
    assert_eq!(issue_with_authorization(&app, Some("Bearer first-token")).await, 200);

    std::fs::write(&file, "second-token\n").unwrap();
    app.signal("TERM");
    app.wait_exit(Duration::from_secs(30)).await;
    let app = TestApp::spawn(env).await;
    assert_eq!(issue_with_authorization(&app, Some("Bearer first-token")).await, 401);
    assert_eq!(issue_with_authorization(&app, Some("Bearer second-token")).await, 200);
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_token_file_stops_the_binary_naming_the_variable() {
    let stack = Stack::new().await;
    let env = with(stack.env(KAFKA_BROKERS), &[("API_TOKENS_FILE", "/nonexistent/tokens")]);
    let output = certificate_system_tests::app_command(&env, &[]).output().expect("run the binary");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("API_TOKENS_FILE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_tokens_the_service_says_once_that_the_api_is_open() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    assert_eq!(app.issue(&contract_body()).await.status, 200);
    let warnings = app.logs().iter().filter(|line| line.contains("the API is unauthenticated")).count();
    assert_eq!(warnings, 1);
}
