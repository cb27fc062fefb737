//! Digital Bazaar's verifier (tests/verifier/verify.mjs, installed by make
//! deps): code nobody here wrote, judging what the built-in issuer signs.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What the verifier said of one credential.
#[derive(Debug)]
pub struct Judged {
    pub verified: bool,
    /// The bit of each status list the credential names, by purpose
    /// (`{"revocation": false, ...}`); empty when it names none.
    pub status: Value,
    /// Everything it printed, for the assertion messages.
    pub printed: String,
}

/// Runs the verifier on `credential`; it fetches the status lists the
/// credential names from the service on loopback.
pub fn independently_verified(credential: &Value) -> Judged {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier/verify.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (make deps installs the verifier)");
    child.stdin.take().unwrap().write_all(credential.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let printed = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let answer: Value = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or_default();
    let verified = output.status.success() && answer["verified"] == true;
    Judged { verified, status: answer["status"].clone(), printed }
}
