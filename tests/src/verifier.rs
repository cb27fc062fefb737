//! Verifiers nobody here wrote, judging what the built-in issuer signs
//! (tests/verifier, installed by make deps): Digital Bazaar's libraries
//! (verify.mjs) and DCC's verifier-core (dcc.mjs).

use std::io::Write;
use std::path::{Path, PathBuf};
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
    independently_verified_trusting(credential, None)
}

/// [`independently_verified`], node trusting the certificate authority in
/// `ca_file` too (a did:web served over HTTPS on loopback).
pub fn independently_verified_trusting(credential: &Value, ca_file: Option<&Path>) -> Judged {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier/verify.mjs");
    let (answer, printed, succeeded) = run_node(&script, credential, ca_file);
    let verified = succeeded && answer["verified"] == true;
    Judged { verified, status: answer["status"].clone(), printed }
}

/// What jsonld.js (tests/verifier/expand.mjs, safe mode) dropped when it
/// expanded `document`: each property or type no context defines.
pub fn dropped_by_json_ld(document: &Value) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier/expand.mjs");
    let (answer, printed, _) = run_node(&script, document, None);
    assert!(answer.get("dropped").is_some(), "expand.mjs printed {printed}");
    answer["dropped"].clone()
}

/// Runs a script of tests/verifier on `credential` (its standard
/// input): its last line of output as JSON, everything it printed, and
/// whether it exited 0. `ca_file`: a certificate authority node trusts too.
fn run_node(script: &Path, credential: &Value, ca_file: Option<&Path>) -> (Value, String, bool) {
    let mut child = Command::new("node")
        .arg(script)
        .envs(ca_file.map(|file| ("NODE_EXTRA_CA_CERTS", file)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (make deps installs the verifiers)");
    child.stdin.take().unwrap().write_all(credential.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let printed = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let answer: Value = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or_default();
    (answer, printed, output.status.success())
}

/// What DCC's verifier-core (tests/verifier/dcc.mjs) said of one credential.
#[derive(Debug)]
pub struct DccJudged {
    /// Its `valid_signature` step, with no fatal error.
    pub signature_valid: bool,
    /// Its `revocation_status` step: `Some(true)` when not revoked.
    pub not_revoked: Option<bool>,
    /// Its `expiration` step: `Some(true)` when not expired.
    pub not_expired: Option<bool>,
    /// The Open Badges JSON Schema's errors, by the instance path each names.
    pub schema_errors: Vec<String>,
    pub printed: String,
}

/// Runs DCC's verifier-core on `credential`, offline: it fetches the status
/// list from the service on loopback and is given 1EdTech's Open Badges
/// schema from tests/standards/ob3.
pub fn dcc_verified(credential: &Value) -> DccJudged {
    dcc_verified_trusting(credential, None)
}

/// [`dcc_verified`], node trusting the certificate authority in `ca_file`
/// too (a did:web served over HTTPS on loopback).
pub fn dcc_verified_trusting(credential: &Value, ca_file: Option<&Path>) -> DccJudged {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier/dcc.mjs");
    let (answer, printed, _) = run_node(&script, credential, ca_file);
    let step = |id: &str| {
        answer["log"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|step| step["id"] == id)
            .and_then(|step| step["valid"].as_bool())
    };
    let schema_errors = answer["additionalInformation"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["id"] == "schema_check")
        .flat_map(|entry| entry["results"].as_array().cloned().unwrap_or_default())
        .flat_map(|result| result["result"]["errors"].as_array().cloned().unwrap_or_default())
        .map(|error| {
            format!("{} {}", error["instancePath"].as_str().unwrap_or(""), error["message"].as_str().unwrap_or(""))
        })
        .collect();
    DccJudged {
        signature_valid: answer["errors"].is_null() && step("valid_signature") == Some(true),
        not_revoked: step("revocation_status"),
        not_expired: step("expiration"),
        schema_errors,
        printed,
    }
}
