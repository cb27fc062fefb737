//! The docs' examples run as written: every `sh` block of a page that talks
//! to `localhost:3000` (what `make run` serves), on the embedded binary as
//! `make run` starts it, the page's blocks in turn as one bash script in a
//! folder of their own, and what each block prints held against the `# …`
//! comments beneath its commands (each comment's parts between `…` appear
//! in that order).

use std::process::Command;

use certificate_system_tests::{workspace_file, TestApp};

/// The pages whose examples run on `make run`.
const PAGES: [&str; 5] =
    ["README.md", "docs/getting-started.md", "docs/credentials.md", "docs/rendering.md", "docs/bulk.md"];
const SEPARATOR: &str = "--- the next block ---";

/// The `sh` blocks of `page` that call the service.
fn examples(page: &str) -> Vec<String> {
    page.split("```sh\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_owned())
        .filter(|block| block.contains("localhost:3000"))
        .collect()
}

/// Whether `printed` holds every part of `expected` in order.
fn shows(printed: &str, expected: &str) -> bool {
    let mut rest = printed;
    expected.split('…').all(|part| match rest.find(part) {
        Some(at) => {
            rest = &rest[at + part.len()..];
            true
        }
        None => false,
    })
}

/// Runs `page`'s examples on a service of their own, in `folder`.
async fn run_examples(page: &str, folder: &std::path::Path) {
    let blocks = examples(&std::fs::read_to_string(workspace_file(page)).unwrap());
    assert!(!blocks.is_empty(), "{page} has examples");
    let app = TestApp::process(Vec::new()).await;
    // One script, so that a block sees what the ones before it set (`id`).
    let script = blocks.join(&format!("echo; echo '{SEPARATOR}'\n"));
    let script = script.replace("localhost:3000", &format!("localhost:{}", app.port));
    let script = ["tests/verifier/", "tests/wallet/"]
        .iter()
        .fold(script, |script, dir| script.replace(dir, &workspace_file(dir).display().to_string()));
    let run = Command::new("bash").args(["-euo", "pipefail", "-c", &script]).current_dir(folder).output().unwrap();
    let printed = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{page}: {script}\nprinted: {printed}\n{}", String::from_utf8_lossy(&run.stderr));
    let outputs: Vec<&str> = printed.split(SEPARATOR).collect();
    assert_eq!(outputs.len(), blocks.len(), "{page}: {printed}");
    for (block, printed) in blocks.iter().zip(outputs) {
        for expected in block.lines().filter_map(|line| line.trim().strip_prefix("# ")) {
            assert!(shows(printed, expected), "{page}: {block}\nprinted {printed}\nnot {expected}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_of_the_docs_runs_as_written() {
    for page in PAGES {
        let folder = std::env::temp_dir().join(format!("docs-examples-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).unwrap();
        run_examples(page, &folder).await;
        if let Ok(pdf) = std::fs::read(folder.join("certificate.pdf")) {
            assert!(pdf.starts_with(b"%PDF-"), "{page} printed a PDF");
        }
        std::fs::remove_dir_all(&folder).unwrap();
    }
}

/// Every page that calls the service is one of [`PAGES`].
#[test]
fn every_page_with_examples_is_run() {
    let pages = std::fs::read_dir(workspace_file("docs")).unwrap().map(|entry| entry.unwrap().path());
    for page in pages.chain([workspace_file("README.md"), workspace_file("SECURITY.md")]) {
        let name = page.strip_prefix(workspace_file("")).unwrap().display().to_string();
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        let runs = PAGES.iter().any(|listed| workspace_file(listed) == page);
        assert!(examples(&text).is_empty() || runs, "{name} has examples for make run: list it in PAGES");
    }
}
