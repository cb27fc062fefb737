//! The image `make image` built, run as deploy/kubernetes/deployment.yaml
//! runs it: its entrypoint as uid 10001 with the root filesystem read-only
//! and a tmpfs on /tmp (deploy/image/run.py enters it here without a
//! container engine). Ignored in the plain run: `make image-test` (part of
//! `make test`) builds the image and runs these with
//! CERTIFICATE_SERVICE_BIN=deploy/image/run.py.

use std::time::Duration;

use certificate_system_tests::{consume, contract_body, Stack, TestApp, KAFKA_BROKERS};
use serde_json::Value;

/// The image's own config, as `skopeo inspect --config` shows it.
fn image_config() -> Value {
    let launcher = std::env::var("CERTIFICATE_SERVICE_BIN").unwrap_or_default();
    assert!(launcher.ends_with("deploy/image/run.py"), "run by make image-test, on the image, not on {launcher:?}");
    let path = std::path::Path::new(&launcher).parent().unwrap().join("../../target/image/bundle/image-config.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("make image-test unpacks the image")).unwrap()
}

/// A status line of /proc/<pid>/status ("Uid:", "Gid:").
fn proc_ids(pid: u32, field: &str) -> Vec<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap().to_owned();
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

/// The mount options of `point` as the service sees it (its mountinfo
/// names mount points from its own root; the last mount on a point wins).
fn mount_options(pid: u32, point: &str) -> String {
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    let line = mounts.lines().rev().find(|line| line.split(' ').nth(4) == Some(point));
    line.unwrap_or_else(|| panic!("{point} is not mounted:\n{mounts}")).split(' ').nth(5).unwrap().to_owned()
}

async fn assert_runs_as_deployed(app: &TestApp) {
    assert_eq!(proc_ids(app.pid(), "Uid:"), ["10001"; 4], "the image's user");
    assert_eq!(proc_ids(app.pid(), "Gid:"), ["10001"; 4]);
    assert!(mount_options(app.pid(), "/").split(',').any(|o| o == "ro"), "a read-only root filesystem");
    assert!(mount_options(app.pid(), "/tmp").split(',').any(|o| o == "rw"));
    assert_eq!(app.get("/health/live").await.status, 200);
    assert_eq!(app.get("/health/ready").await.status, 200);
}

#[test]
#[ignore = "make image-test runs it on the built image"]
fn image_config_is_what_deployment_yaml_relies_on() {
    let config = &image_config()["config"];
    assert_eq!(config["User"], "10001:10001");
    assert_eq!(config["Entrypoint"], serde_json::json!(["/usr/local/bin/certificate-service"]));
    assert_eq!(config["Cmd"], serde_json::json!(["serve"]));
    assert!(config["ExposedPorts"].get("3000/tcp").is_some(), "{config}");
    assert!(config["Env"].as_array().unwrap().iter().any(|e| e == "HOME=/tmp"), "{config}");
    let labels = &config["Labels"];
    assert!(labels["org.opencontainers.image.revision"].as_str().is_some_and(|r| r.len() == 40), "{labels}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "make image-test runs it on the built image"]
async fn image_in_embedded_mode_answers_its_probes_issues_and_stops_on_sigterm() {
    image_config();
    let mut app = TestApp::process(Vec::new()).await;
    assert_runs_as_deployed(&app).await;
    let answer = app.issue(&contract_body()).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    app.signal("TERM");
    assert_eq!(app.wait_exit(Duration::from_secs(30)).await.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "make image-test runs it on the built image"]
async fn image_against_the_test_stack_issues_publishes_and_stops_on_sigterm() {
    image_config();
    let stack = Stack::new().await;
    let mut app = TestApp::process(stack.env(KAFKA_BROKERS)).await;
    assert_runs_as_deployed(&app).await;
    let answer = app.issue(&contract_body()).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let certificate_id = answer.body["data"]["credential"]["id"].as_str().unwrap().to_owned();
    let events = consume(KAFKA_BROKERS, &stack.topic, 1, Duration::from_secs(1), Duration::from_secs(30));
    assert!(events.iter().any(|event| event.value["data"]["certificateId"] == certificate_id.as_str()), "{events:?}");
    app.signal("TERM");
    assert_eq!(app.wait_exit(Duration::from_secs(30)).await.code(), Some(0));
}
