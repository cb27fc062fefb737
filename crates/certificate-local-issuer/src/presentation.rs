//! A wallet's DID authentication in the VC-API exchange: a
//! `VerifiablePresentation` signed by its holder under a Data Integrity
//! cryptosuite this issuer knows (`eddsa-rdfc-2022`, `eddsa-jcs-2022`),
//! over contexts it bundles (VC 2.0).
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
