//! The `eddsa-jcs-2022` Data Integrity cryptosuite (W3C "Data Integrity
//! EdDSA Cryptosuites v1.0", section 3.3): the document and the proof's
//! options are canonicalised with JCS (RFC 8785), hashed with SHA-256, and the
//! two hashes, options first, are signed with Ed25519. No JSON-LD processing.

use multibase::Base;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::key::{key_of_method, signature_holds, IssuerKey};

pub(crate) const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// Adds the issuer's proof to `document`, which has none yet.
pub(crate) fn sign(document: &mut Value, key: &IssuerKey, created: &str) {
    let options = json!({
        // The document's, as the cryptosuite's "Add Proof" step sets it.
        "@context": document["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": key.verification_method(),
        "proofPurpose": "assertionMethod",
    });
    let signature = key.sign(&hash_data(document, &options));
    let mut proof = options;
    proof["proofValue"] = json!(multibase::encode(Base::Base58Btc, signature));
    document["proof"] = proof;
}

/// The did:key whose key made `document`'s proof, if the proof holds over
/// this very document.
pub(crate) fn signer(document: &Value) -> Option<String> {
    let mut options: Map<String, Value> = document.get("proof")?.as_object()?.clone();
    let Some(Value::String(proof_value)) = options.remove("proofValue") else {
        return None;
    };
    let suite_is_ours = options.get("type") == Some(&json!("DataIntegrityProof"))
        && options.get("cryptosuite") == Some(&json!(CRYPTOSUITE));
    let method = options.get("verificationMethod")?.as_str()?.to_owned();
    let key = key_of_method(&method).filter(|_| suite_is_ours)?;
    let (base, signature) = multibase::decode(proof_value).ok()?;
    let mut unsecured = document.clone();
    unsecured.as_object_mut()?.remove("proof");
    if let Some(context) = options.get("@context") {
        // The document's context must start with the proof's, which then stands for it.
        let listed = |value: &Value| value.as_array().cloned().unwrap_or_else(|| vec![value.clone()]);
        if !listed(&unsecured["@context"]).starts_with(&listed(context)) {
            return None;
        }
        unsecured["@context"] = context.clone();
    }
    let holds =
        base == Base::Base58Btc && signature_holds(&key, &hash_data(&unsecured, &Value::Object(options)), &signature);
    holds.then(|| method.split('#').next().unwrap_or_default().to_owned())
}

/// SHA-256 of the canonical proof configuration (the options, which carry
/// the document's `@context`), then SHA-256 of the canonical document.
fn hash_data(unsecured: &Value, options: &Value) -> Vec<u8> {
    [Sha256::digest(canonical(options)), Sha256::digest(canonical(unsecured))].concat()
}

fn canonical(value: &Value) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(value).expect("a JSON value always canonicalises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> (IssuerKey, Value) {
        let key = IssuerKey::generate();
        let mut document =
            json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "b": 1, "a": {"y": "é", "x": [1.0, 2]}});
        sign(&mut document, &key, "2026-11-27T00:00:00Z");
        (key, document)
    }

    #[test]
    fn a_signed_document_names_its_signer() {
        let (key, document) = signed();
        assert_eq!(signer(&document), Some(key.did()));
    }

    #[test]
    fn a_changed_character_breaks_the_proof() {
        let (_, mut document) = signed();
        document["a"]["y"] = json!("e");
        assert_eq!(signer(&document), None);
    }

    #[test]
    fn a_proof_moved_to_another_key_breaks() {
        let (_, mut document) = signed();
        let other = IssuerKey::generate();
        document["proof"]["verificationMethod"] = json!(other.verification_method());
        assert_eq!(signer(&document), None);
    }
}
