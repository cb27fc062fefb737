//! What an operator sees: metrics that move, request ids in answers and logs,
//! health, and deploy/ checked offline (Kubernetes schemas, Dockerfile lint,
//! every metric of the Grafana dashboard present in a live scrape); every
//! metric of a live scrape named in docs/operating.md.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use certificate_system_tests::{contract_body, with, PrivateBroker, Stack, TestApp};
use serde_json::Value;

/// The value of `sample`; a sample named without labels sums every label set.
fn metric(text: &str, sample: &str) -> f64 {
    let values: Vec<f64> = text
        .lines()
        .filter_map(|line| line.strip_prefix(sample))
        .filter_map(|rest| {
            let rest = if sample.ends_with('}') {
                rest
            } else {
                rest.strip_prefix('{').map_or(rest, |r| r.split_once('}').map_or(r, |(_, v)| v))
            };
            rest.trim().parse::<f64>().ok()
        })
        .collect();
    assert!(!values.is_empty(), "{sample} not in\n{text}");
    values.iter().sum()
}

async fn scrape(app: &TestApp) -> String {
    let url = app.url("/metrics");
    tokio::task::spawn_blocking(move || ureq::get(&url).call().unwrap().body_mut().read_to_string().unwrap())
        .await
        .unwrap()
}

async fn wait_for_metric(app: &TestApp, sample: &str, value: f64) -> String {
    for _ in 0..100 {
        let text = scrape(app).await;
        if text.lines().any(|line| line.starts_with(sample) && metric(line, sample) == value) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{sample} never reached {value}:\n{}", scrape(app).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_move_after_an_issuance_and_after_a_failed_publish() {
    let stack = Stack::new().await;
    let broker = PrivateBroker::start();
    let env = with(stack.env(&broker.brokers()), &[("OUTBOX_MAX_BACKOFF_MS", "500")]);
    let app = TestApp::spawn(env).await;
    assert!(app.wait_for_log("created the Kafka topic", Duration::from_secs(20)).await);
    broker.proxy.cut();

    assert_eq!(app.issue(&contract_body()).await.status, 200);

    let text = wait_for_metric(&app, "certificate_event_publish_failures_total", 1.0).await;
    assert_eq!(metric(&text, r#"certificate_issuances_total{outcome="issued"}"#), 1.0);
    assert_eq!(metric(&text, r#"certificate_upstream_calls_total{upstream="identity",outcome="ok"}"#), 1.0);
    assert_eq!(metric(&text, r#"certificate_upstream_calls_total{upstream="credential",outcome="ok"}"#), 1.0);
    assert_eq!(
        metric(&text, r#"certificate_http_requests_total{route="/certificate/issue",method="POST",status="200"}"#),
        1.0
    );
    assert_eq!(metric(&text, "certificate_outbox_pending_events"), 1.0);
    assert_eq!(metric(&text, "certificate_events_published_total"), 0.0);

    broker.proxy.restore();
    wait_for_metric(&app, "certificate_events_published_total", 1.0).await;
    // The relay counts an acknowledged event before it commits its removal from the queue.
    let text = wait_for_metric(&app, "certificate_outbox_pending_events", 0.0).await;
    assert_eq!(metric(&text, "certificate_events_published_total"), 1.0);
    assert!(metric(&text, "certificate_event_publish_duration_seconds_count") >= 2.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_id_is_echoed_and_names_the_requests_log_lines() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let answer = app.issue_with(&contract_body(), &[("X-Request-Id", "req-42")]).await;
    assert_eq!(answer.request_id.as_deref(), Some("req-42"));
    assert!(app.wait_for_log("certificate issued", Duration::from_secs(5)).await);
    let line = app.logs().into_iter().find(|line| line.contains("certificate issued")).unwrap();
    let line: Value = serde_json::from_str(&line).expect("JSON log lines");
    assert_eq!(line["span"]["request_id"], "req-42", "{line}");

    let generated = app.issue(&contract_body()).await.request_id.expect("a generated request id");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_learner_name_is_logged_at_info() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let mut body = contract_body();
    body["firstName"] = "Zebulon".into();
    body["lastName"] = "Quackenbush".into();
    assert_eq!(app.issue(&body).await.status, 200);
    assert!(app.wait_for_log("Certificate issued event published", Duration::from_secs(20)).await);
    assert!(!app.logs().iter().any(|line| line.contains("Zebulon") || line.contains("Quackenbush")));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_answers_live_and_ready_naming_dependencies() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    assert_eq!(app.get("/health/live").await.status, 200);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    let names: Vec<&str> =
        ready.body["dependencies"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["postgres", "kafka"]);
}

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e} (make deps installs it)"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
fn every_manifest_validates_against_the_kubernetes_schemas() {
    let manifests: Vec<PathBuf> = std::fs::read_dir(deploy_dir().join("kubernetes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("kustomization.yaml"))
        .collect();
    assert!(manifests.len() >= 8, "{manifests:?}");
    let resources: usize = manifests
        .iter()
        .map(|path| 1 + std::fs::read_to_string(path).unwrap().lines().filter(|line| *line == "---").count())
        .sum();
    let output = run(Command::new("kubernetes-validate").args(["--strict", "-k", "1.31.0"]).args(&manifests));
    assert_eq!(output.matches(" passed for resource ").count(), resources, "{output}");
}

#[test]
fn the_dockerfile_passes_hadolint() {
    run(Command::new("hadolint").arg(deploy_dir().join("Dockerfile")));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_metric_the_dashboard_queries_is_in_a_live_scrape() {
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(deploy_dir().join("grafana/certificate-service.json")).unwrap())
            .expect("the dashboard parses");
    let mut queried: Vec<String> = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for (start, _) in expr.match_indices("certificate_") {
                let name: String =
                    expr[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                queried.push(name);
            }
        }
    }
    assert!(queried.len() >= 10);

    let text = scrape_after_an_issuance().await;
    for name in queried {
        assert!(
            text.lines().any(|line| line.starts_with(&format!("{name} ")) || line.starts_with(&format!("{name}{{"))),
            "the dashboard queries {name}, which the service does not expose"
        );
    }
}

/// A scrape of the service on Postgres, tansu and the upstream fake once an
/// issuance's event is published: every family is there by then.
async fn scrape_after_an_issuance() -> String {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    assert_eq!(app.issue(&contract_body()).await.status, 200);
    wait_for_metric(&app, "certificate_events_published_total", 1.0).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_metric_of_a_live_scrape_is_named_in_the_operators_page() {
    let page = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/operating.md")).unwrap();
    let text = scrape_after_an_issuance().await;
    let families: Vec<(&str, &str)> =
        text.lines().filter_map(|line| line.strip_prefix("# TYPE ")).filter_map(|rest| rest.split_once(' ')).collect();
    assert!(families.len() >= 20, "a scrape of every family: {families:?}");
    for (family, kind) in families {
        // A counter's series is the family's name with `_total`.
        let series = if kind == "counter" { format!("{family}_total") } else { family.to_owned() };
        let named = page.match_indices(&series).any(|(at, _)| {
            let next = page[at + series.len()..].chars().next();
            !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        assert!(named, "docs/operating.md does not name {series}, which the service exposes");
    }
}
