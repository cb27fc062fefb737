//! The OpenAPI document: the committed copy (docs/openapi.json) is what the
//! binary serves, and schemathesis, driven by the served document, finds no
//! failure in any of its checks on the real binary with real Postgres, tansu
//! and the HTTP fakes, bearer authentication on.

use std::process::Command;

use certificate_system_tests::{with, workspace_file, Stack, TestApp, KAFKA_BROKERS};
use serde_json::Value;

const TOKEN: &str = "schemathesis-token";

async fn authenticated_app(stack: &Stack) -> TestApp {
    let app = TestApp::spawn(with(stack.env(KAFKA_BROKERS), &[("API_TOKENS", TOKEN)])).await;
    app.wait_until_ready().await;
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn the_committed_document_is_what_the_binary_serves() {
    let stack = Stack::new().await;
    let app = authenticated_app(&stack).await;
    let served = app.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(workspace_file("docs/openapi.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
    if committed != served.body {
        let fresh = workspace_file("target/openapi.served.json");
        std::fs::write(&fresh, serde_json::to_string_pretty(&served.body).unwrap() + "\n").unwrap();
        panic!(
            "docs/openapi.json differs from what the binary serves; if the change is meant, \
             cp {} docs/openapi.json",
            fresh.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_failure() {
    let stack = Stack::new().await;
    let app = authenticated_app(&stack).await;
    let report = workspace_file("target/schemathesis");
    let mut command = Command::new("schemathesis");
    command
        .arg("--config-file")
        .arg(workspace_file("tests/schemathesis.toml"))
        .args(["--no-color", "run", &app.url("/openapi.json")])
        .args(["--checks", "all", "--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--max-examples", "100", "--seed", "20261127", "--generation-database", "none", "--report", "junit"])
        .arg("--report-dir")
        .arg(&report)
        // The request's rules across fields, which no schema states.
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", workspace_file("tests"))
        // Its crash cache (.schemathesis/) stays out of the work tree.
        .current_dir(workspace_file("target"));
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("schemathesis is installed (make deps)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("passed"), "schemathesis ran its checks:\n{stdout}");
}
