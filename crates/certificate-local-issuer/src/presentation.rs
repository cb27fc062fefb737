//! A wallet's DID authentication in the VC-API exchange: a
//! `VerifiablePresentation` signed by its holder under a Data Integrity
//! cryptosuite this issuer knows (`eddsa-rdfc-2022`, `eddsa-jcs-2022`) or
//! the `Ed25519Signature2020` suite the Learner Credential Wallet signs
//! with, over contexts it bundles (VC 2.0 or 1.1, the 2020 suite's).
//!
//! Promises: the proof's purpose is `authentication`; its verification
//! method is a `did:key` (Ed25519) of the presentation's `holder`; it holds
//! over the presentation as sent. The challenge and the domain are answered
//! as the proof states them, for the use case to judge.

use certificate_domain::ports::{PresentedHolder, ProofRefused};
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use crate::contexts::Contexts;
use crate::key::public_key_of_multikey;
use crate::proof;

pub(crate) fn presented_holder(presentation: &Value, contexts: &Contexts) -> Result<PresentedHolder, ProofRefused> {
    let types = presentation.get("type").map(listed).unwrap_or_default();
    if !types.iter().any(|kind| kind == "VerifiablePresentation") {
        return Err(ProofRefused("not a VerifiablePresentation"));
    }
    let proof = presentation.get("proof").and_then(Value::as_object).ok_or(ProofRefused("one proof is required"))?;
    if proof.get("proofPurpose").and_then(Value::as_str) != Some("authentication") {
        return Err(ProofRefused("the proof's purpose is not authentication"));
    }
    let holder = presentation.get("holder").and_then(|holder| holder.as_str().or_else(|| holder["id"].as_str()));
    let holder = holder.ok_or(ProofRefused("the presentation names no holder"))?;
    let signed = proof::signer(presentation, contexts, did_key).ok_or(ProofRefused("the proof does not hold"))?;
    if signed.did() != holder {
        return Err(ProofRefused("the proof is not the holder's"));
    }
    let text = |name: &str| proof.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(PresentedHolder { holder: holder.to_owned(), challenge: text("challenge"), domain: text("domain") })
}

fn listed(value: &Value) -> Vec<String> {
    match value {
        Value::Array(values) => values.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Value::String(value) => vec![value.clone()],
        _ => Vec::new(),
    }
}

/// The key of a `did:key:z6Mk…#z6Mk…` verification method.
fn did_key(method: &str) -> Option<VerifyingKey> {
    let (did, fragment) = method.split_once('#')?;
    let multikey = did.strip_prefix("did:key:")?;
    (fragment == multikey).then_some(())?;
    public_key_of_multikey(multikey)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLDER: &str = "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z";

    fn vector(name: &str) -> Value {
        let text = match name {
            "1.1" => include_str!("../tests/vectors/ed25519-signature-2020/presentation-vc-1.1.json"),
            _ => include_str!("../tests/vectors/ed25519-signature-2020/presentation-vc-2.0.json"),
        };
        serde_json::from_str(text).unwrap()
    }

    /// The Learner Credential Wallet's DID authentication, under VC 1.1's
    /// context and under 2.0's (tests/vectors/ORIGIN.md).
    #[test]
    fn an_ed25519_signature_2020_authentication_names_its_holder() {
        for version in ["1.1", "2.0"] {
            let holder = presented_holder(&vector(version), &Contexts::bundled()).unwrap();
            assert_eq!(holder.holder, HOLDER, "VC {version}");
            assert_eq!(holder.challenge.as_deref(), Some("challenge-1"));
            assert_eq!(holder.domain.as_deref(), Some("https://certificates.example"));
        }
    }

    #[test]
    fn a_changed_challenge_or_suite_breaks_it() {
        let mut changed = vector("2.0");
        changed["proof"]["challenge"] = "challenge-2".into();
        assert!(presented_holder(&changed, &Contexts::bundled()).is_err(), "the challenge is signed");
        let mut renamed = vector("2.0");
        renamed["proof"]["type"] = "DataIntegrityProof".into();
        assert!(presented_holder(&renamed, &Contexts::bundled()).is_err(), "no cryptosuite: no suite");
        let mut both = vector("2.0");
        both["proof"]["cryptosuite"] = "eddsa-rdfc-2022".into();
        assert!(presented_holder(&both, &Contexts::bundled()).is_err(), "a 2020 proof names no cryptosuite");
    }
}
