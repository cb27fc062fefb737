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
            .replace("{listId}", "1-revocation")
            .replace("{didPath}", "issuers/1");
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
    let operational = [
        "/.well-known/did.json",
        "/health/live",
        "/health/ready",
        "/issuers/1/did.json",
        "/metrics",
        "/openapi.json",
        "/status/1-revocation",
    ];
    // A wallet holds no API token: each step checks the secret the step before gave.
    let wallet = [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/{issuerPath}",
        "/.well-known/openid-credential-issuer",
        "/.well-known/openid-credential-issuer/{issuerPath}",
        "/openid4vci/credential",
        "/openid4vci/nonce",
        "/openid4vci/offers/{offer}",
        "/openid4vci/token",
        "/vc-api/exchanges/{offer}",
        "/vc-api/interactions/{offer}",
    ];
    let mut expected = [&operational[..], &verify[..], &wallet[..]].concat();
    expected.sort();
    assert_eq!(open, expected, "the QR code's verify route, the status lists and a wallet's steps are open too");
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

/// The binary's output once it stopped by itself; a binary still serving
/// after 20 s accepted the configuration, and is stopped.
fn refused_start(env: Vec<(String, String)>) -> std::process::Output {
    let mut child = certificate_system_tests::app_command(&env, &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the binary");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{env:?}: the binary started and served");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_token_variable_set_to_no_token_stops_the_binary_naming_it() {
    let empty_file = std::env::temp_dir().join(format!("no-tokens-{}", uuid::Uuid::new_v4()));
    std::fs::write(&empty_file, "\n  \n").unwrap();
    let empty_file = empty_file.to_str().unwrap();
    for (overrides, name) in [
        (vec![("API_TOKENS", "")], "API_TOKENS"),
        (vec![("API_TOKENS", " , ,")], "API_TOKENS"),
        (vec![("API_TOKENS_FILE", empty_file)], "API_TOKENS_FILE"),
        (vec![("API_TOKENS", TOKEN), ("ADMIN_TOKENS", "")], "ADMIN_TOKENS"),
        (vec![("API_TOKENS", TOKEN), ("ADMIN_TOKENS_FILE", empty_file)], "ADMIN_TOKENS_FILE"),
    ] {
        let output = refused_start(with(Vec::new(), &overrides));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{overrides:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{overrides:?}: {stderr}");
        assert!(!stderr.contains(TOKEN), "{stderr}");
    }
    std::fs::remove_file(empty_file).unwrap();
}

/// A request sent as these bytes, so that no client normalises its target:
/// the status, and the body's `message` if it is the envelope.
async fn raw_call(port: u16, method: &str, target: &str, authorization: Option<&str>, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(value) = authorization {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status line");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        let message = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|envelope| envelope["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        (status, message)
    })
    .await
    .unwrap()
}

fn percent_encoded(c: char) -> String {
    format!("%{:02X}", c as u32)
}

/// The spellings of `path` (a concrete path, `/`-separated) that a router
/// might take for it, or for another: each character of a segment that the
/// route table spells literally percent-encoded (one at a time), each
/// segment's first letter in upper case, each `/` encoded or doubled, a
/// trailing `/`, `;` parameters, and `..` / `.` segments, plain and encoded.
fn spellings(path: &str, literal: &[bool]) -> Vec<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let join = |segments: &[String]| format!("/{}", segments.join("/"));
    let owned: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
    let mut spelled = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let replaced = |replacement: String| {
            let mut copy = owned.clone();
            copy[index] = replacement;
            join(&copy)
        };
        if literal[index] {
            for (at, c) in segment.char_indices() {
                let (before, after) = (&segment[..at], &segment[at + c.len_utf8()..]);
                spelled.push(replaced(format!("{before}{}{after}", percent_encoded(c))));
                spelled.push(replaced(format!("{before}{}{after}", percent_encoded(c).to_lowercase())));
            }
            let mut upper = segment.to_string();
            upper[..1].make_ascii_uppercase();
            spelled.push(replaced(upper));
        }
        spelled.push(replaced(format!("{segment};x=1")));
        for detour in ["elsewhere/..", "elsewhere/%2e%2e", "elsewhere/%2E%2E", ".", "%2e"] {
            let mut copy = owned.clone();
            copy.insert(index, detour.to_owned());
            spelled.push(join(&copy));
        }
        if index > 0 {
            let (before, after) = (owned[..index].join("/"), owned[index..].join("/"));
            spelled.push(format!("/{before}%2F{after}"));
            spelled.push(format!("/{before}%2f{after}"));
            spelled.push(format!("/{before}//{after}"));
        }
    }
    spelled.push(format!("/{path}"));
    spelled.push(format!("{path}/"));
    spelled.push(format!("{path}?x=1"));
    spelled.sort();
    spelled.dedup();
    spelled
}

/// The issue fixture in a service with API and admin tokens, and the route
/// table's protected routes as concrete paths that reach their handler.
struct Walk {
    app: TestApp,
    body: String,
    routes: Vec<(certificate_http::ServedRoute, String)>,
}

const API: &str = "Bearer api-token-of-the-walk";
const ADMIN: &str = "Bearer admin-token-of-the-walk";

impl Walk {
    async fn start() -> Self {
        let env = with(
            Vec::new(),
            &[("API_TOKENS", API.trim_start_matches("Bearer ")), ("ADMIN_TOKENS", ADMIN.trim_start_matches("Bearer "))],
        );
        let app = TestApp::spawn(env).await;
        let body = contract_body();
        let issued = app.issue_with(&body, &[("Authorization", API)]).await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        let credential = issued.body["data"]["credential"]["id"].as_str().unwrap().to_owned();
        let routes = certificate_http::served_routes()
            .into_iter()
            .filter(|route| route.access != certificate_http::Access::Open)
            .map(|route| {
                let concrete = route
                    .path
                    .replace("{certificateId}", &credential)
                    .replace("{userId}", body["userId"].as_str().unwrap())
                    .replace("{courseId}", body["courseId"].as_str().unwrap());
                (route, concrete)
            })
            .collect();
        Self { app, body: body.to_string(), routes }
    }

    fn token_of(access: certificate_http::Access) -> &'static str {
        if access == certificate_http::Access::Operator {
            ADMIN
        } else {
            API
        }
    }

    async fn call(&self, method: &str, target: &str, authorization: Option<&str>) -> (u16, String) {
        raw_call(self.app.port, method, target, authorization, &self.body).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_spelling_of_a_protected_route_reaches_its_handler_without_its_token() {
    let walk = Walk::start().await;
    let (status, no_route) = walk.call("GET", "/no-such-route", None).await;
    assert_eq!(status, 404);
    assert!(walk.routes.len() >= 18, "{:?}", walk.routes);
    for (route, concrete) in &walk.routes {
        let reached = walk.call(route.method, concrete, Some(Walk::token_of(route.access))).await;
        assert!(
            ![401, 404].contains(&reached.0),
            "{} {concrete} with its token reaches its handler: {reached:?}",
            route.method
        );
    }
    let mut reached = Vec::new();
    let mut tried = 0;
    for (route, concrete) in &walk.routes {
        let literal: Vec<bool> = route.path.trim_start_matches('/').split('/').map(|s| !s.starts_with('{')).collect();
        let mut refusals = vec![None, Some("Bearer wrong-token"), Some("Basic api-token-of-the-walk")];
        if route.access == certificate_http::Access::Operator {
            refusals.push(Some(API));
        }
        for target in spellings(concrete, &literal) {
            for authorization in &refusals {
                tried += 1;
                let (status, message) = walk.call(route.method, &target, *authorization).await;
                // A 405 is a path of the table asked with another method
                // (`/certificate/{id}/Revoke` is a read's path): no handler ran.
                let refused = status == 401
                    || (status == 404 && message == no_route)
                    || (status == 405 && message.starts_with("use "));
                if !refused {
                    reached.push(format!("{} {target} {authorization:?}: {status} {message}", route.method));
                }
            }
        }
    }
    assert!(reached.is_empty(), "{} of {tried} reached a handler:\n{}", reached.len(), reached.join("\n"));
}
