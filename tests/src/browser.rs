//! A page of the service as Debian's Chromium shows it
//! (tests/browser/page-check.mjs: puppeteer-core, axe-core): what a test
//! checks, and screenshots kept as artefacts in target/verify-page/.

use std::process::Command;

use serde_json::Value;

use crate::workspace_file;

/// Opens `url` at 1280 and 390 px wide, `Accept-Language: language`;
/// screenshots go to target/verify-page/`name`-<width>.png.
pub fn in_chromium(url: &str, name: &str, language: &str) -> Value {
    let dir = workspace_file("target/verify-page");
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new("node")
        .arg(workspace_file("tests/browser/page-check.mjs"))
        .arg(url)
        .arg(dir.join(name))
        .arg(language)
        .output()
        .expect("node runs (make deps installs tests/browser)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok());
    report.unwrap_or_else(|| panic!("page-check.mjs: {stdout}{}", String::from_utf8_lossy(&output.stderr)))
}

/// axe-core's violations of impact serious or critical.
pub fn grave_violations(report: &Value) -> Vec<Value> {
    let violations = report["violations"].as_array().cloned().unwrap_or_default();
    violations
        .into_iter()
        .filter(|violation| ["serious", "critical"].contains(&violation["impact"].as_str().unwrap_or("")))
        .collect()
}
