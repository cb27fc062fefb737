//! The image `make image` built, run as deploy/kubernetes/deployment.yaml
//! runs it: its entrypoint as uid 10001 with the root filesystem read-only
//! and a tmpfs on /tmp (deploy/image/run.py enters it here without a
//! container engine). Ignored in the plain run: `make image-test` (part of
//! `make test`) builds the image and runs these with
//! CERTIFICATE_SERVICE_BIN=deploy/image/run.py. What deployment.yaml
//! relies on is read from deployment.yaml itself.

use std::time::Duration;

use certificate_system_tests::pdf::{embeds, PdfFile};
use certificate_system_tests::{consume, contract_body, Stack, TestApp, KAFKA_BROKERS};
use serde_json::{json, Value};

/// The Deployment of deploy/kubernetes/deployment.yaml, as JSON (PyYAML,
/// which `make deps` installs with kubernetes-validate, reads it).
fn deployment() -> Value {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/kubernetes/deployment.yaml");
    let read = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))";
    let output = std::process::Command::new("python3").args(["-c", read, file]).output().expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The pod's and the service container's parts of the Deployment.
fn deployed() -> (Value, Value) {
    let pod = deployment()["spec"]["template"]["spec"].clone();
    let container = pod["containers"].as_array().unwrap().iter().find(|c| c["name"] == "certificate-service").cloned();
    (pod, container.expect("the service's container"))
}

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
    let (pod, container) = deployed();
    let (user, group) =
        (pod["securityContext"]["runAsUser"].to_string(), pod["securityContext"]["runAsGroup"].to_string());
    assert_eq!(proc_ids(app.pid(), "Uid:"), [user.as_str(); 4], "deployment.yaml's user");
    assert_eq!(proc_ids(app.pid(), "Gid:"), [group.as_str(); 4]);
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(mount_options(app.pid(), "/").split(',').any(|o| o == "ro"), "a read-only root filesystem");
    assert!(container["volumeMounts"].as_array().unwrap().iter().any(|m| m["mountPath"] == "/tmp"));
    assert!(mount_options(app.pid(), "/tmp").split(',').any(|o| o == "rw"));
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let path = container[probe]["httpGet"]["path"].as_str().unwrap();
        assert_eq!(app.get(path).await.status, 200, "{probe} {path}");
    }
}

/// The built-in certificate, printed by the image's own Chromium and fonts.
async fn assert_prints_a_certificate(app: &TestApp) {
    let mut body = contract_body();
    body["firstName"] = json!("अनन्या");
    body["lastName"] = json!("Sharma");
    let answer = app.issue(&body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let id = answer.body["data"]["credential"]["id"].as_str().unwrap();
    let pdf = app.print(id).await;
    assert_eq!(pdf.status, 201, "{}", String::from_utf8_lossy(&pdf.body));
    let file = PdfFile::write("image", &pdf.body);
    let text = file.text();
    assert!(text.contains("अनन्या") && text.contains("Sharma"), "{text}");
    let fonts = file.fonts();
    assert!(embeds(&fonts, "Devanagari") && (embeds(&fonts, "NotoSans") || embeds(&fonts, "NotoSerif")), "{fonts}");
}

#[test]
#[ignore = "make image-test runs it on the built image"]
fn image_config_is_what_deployment_yaml_relies_on() {
    let config = &image_config()["config"];
    let (pod, container) = deployed();
    let context = &pod["securityContext"];
    assert_eq!(context["runAsNonRoot"], true);
    assert_eq!(config["User"], format!("{}:{}", context["runAsUser"], context["runAsGroup"]));
    assert_eq!(config["Entrypoint"], json!(["/usr/local/bin/certificate-service"]));
    assert_eq!(config["Cmd"], container["args"], "deployment.yaml's args are the image's command");
    let port = container["ports"][0]["containerPort"].as_u64().unwrap();
    assert!(config["ExposedPorts"].get(format!("{port}/tcp")).is_some(), "{config}");
    let probes = ["startupProbe", "livenessProbe", "readinessProbe"].map(|p| container[p]["httpGet"]["port"].clone());
    assert!(probes.iter().all(|p| *p == container["ports"][0]["name"]), "every probe on the exposed port: {probes:?}");
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
    assert_prints_a_certificate(&app).await;
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
