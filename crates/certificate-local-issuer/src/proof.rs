//! Data Integrity proofs by the two EdDSA cryptosuites the issuer knows
//! (W3C "Data Integrity EdDSA Cryptosuites v1.0"): `eddsa-jcs-2022`, whose
//! document and proof options are canonicalised with JCS (RFC 8785), no
//! JSON-LD involved, and `eddsa-rdfc-2022`, whose are canonicalised as RDF
//! (RDFC-1.0 over the bundled contexts, [`crate::rdfc`]). Either way the two
//! canonical forms are hashed with SHA-256, options first, and the hashes
//! signed with Ed25519. Proofs of the earlier `Ed25519Signature2020` suite,
//! which computes what `eddsa-rdfc-2022` does under a proof type of its own,
//! are verified too (the Learner Credential Wallet authenticates with them);
//! this issuer never makes one.

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use multibase::Base;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::contexts::Contexts;
use crate::identity::Identity;
use crate::key::signature_holds;
use crate::rdfc::{canonical_nquads, CanonicalizationError};

/// How a document is canonicalised before it is hashed and signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cryptosuite {
    EddsaJcs2022,
    EddsaRdfc2022,
}

impl Cryptosuite {
    pub fn name(self) -> &'static str {
        match self {
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
        }
    }

    pub(crate) fn named(name: &str) -> Option<Self> {
        [Self::EddsaJcs2022, Self::EddsaRdfc2022].into_iter().find(|suite| suite.name() == name)
    }

    fn canonical(self, value: &Value, contexts: &Contexts) -> Result<Vec<u8>, CanonicalizationError> {
        match self {
            Self::EddsaJcs2022 => {
                Ok(serde_json_canonicalizer::to_vec(value).expect("a JSON value always canonicalises"))
            }
            Self::EddsaRdfc2022 => canonical_nquads(value, contexts).map(String::into_bytes),
        }
    }

    /// SHA-256 of the canonical proof configuration (the options, which
    /// carry the document's `@context`), then SHA-256 of the canonical document.
    fn hash_data(
        self,
        unsecured: &Value,
        options: &Value,
        contexts: &Contexts,
    ) -> Result<Vec<u8>, CanonicalizationError> {
        let options = Sha256::digest(self.canonical(options, contexts)?);
        Ok([options, Sha256::digest(self.canonical(unsecured, contexts)?)].concat())
    }
}

/// Adds the issuer's proof to `document`, which has none yet.
pub(crate) fn sign(
    document: &mut Value,
    issuer: &Identity,
    created: &str,
    suite: Cryptosuite,
    contexts: &Contexts,
) -> Result<(), CanonicalizationError> {
    let mut proof = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": suite.name(),
        "created": created,
        "verificationMethod": issuer.method(),
        "proofPurpose": "assertionMethod",
    });
    // The proof configuration carries the document's context; eddsa-jcs-2022's
    // proof keeps it, eddsa-rdfc-2022's does not (its "Add Proof" steps).
    let mut configuration = proof.clone();
    configuration["@context"] = document["@context"].clone();
    let signature = issuer.key().sign(&suite.hash_data(document, &configuration, contexts)?);
    if suite == Cryptosuite::EddsaJcs2022 {
        proof = configuration;
    }
    proof["proofValue"] = json!(multibase::encode(Base::Base58Btc, signature));
    document["proof"] = proof;
    Ok(())
}

/// A proof that holds: the verification method whose key made it, and when
/// the proof says it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signed {
    pub method: String,
    pub created: Option<DateTime<Utc>>,
}

impl Signed {
    /// The DID of the method.
    pub(crate) fn did(&self) -> &str {
        self.method.split('#').next().unwrap_or_default()
    }
}

/// The suite a proof was made by: a Data Integrity proof's `cryptosuite`,
/// or `Ed25519Signature2020` (RDFC-1.0, SHA-256 and Ed25519 in the same
/// steps as `eddsa-rdfc-2022`, the proof options carrying the document's
/// context; its proof names no cryptosuite).
fn suite_of(options: &Map<String, Value>) -> Option<Cryptosuite> {
    match options.get("type")?.as_str()? {
        "DataIntegrityProof" => Cryptosuite::named(options.get("cryptosuite")?.as_str()?),
        "Ed25519Signature2020" if !options.contains_key("cryptosuite") => Some(Cryptosuite::EddsaRdfc2022),
        _ => None,
    }
}

/// `document`'s proof, if it holds over this very document, by one of the
/// cryptosuites above, with the key `key_of` finds for its verification method.
pub(crate) fn signer(
    document: &Value,
    contexts: &Contexts,
    key_of: impl Fn(&str) -> Option<VerifyingKey>,
) -> Option<Signed> {
    let mut options: Map<String, Value> = document.get("proof")?.as_object()?.clone();
    let Some(Value::String(proof_value)) = options.remove("proofValue") else {
        return None;
    };
    let suite = suite_of(&options)?;
    let method = options.get("verificationMethod")?.as_str()?.to_owned();
    let key = key_of(&method)?;
    let (base, signature) = multibase::decode(proof_value).ok()?;
    let mut unsecured = document.clone();
    unsecured.as_object_mut()?.remove("proof");
    match options.get("@context") {
        Some(context) => {
            // The document's context must start with the proof's, which then stands for it.
            let listed = |value: &Value| value.as_array().cloned().unwrap_or_else(|| vec![value.clone()]);
            if !listed(&unsecured["@context"]).starts_with(&listed(context)) {
                return None;
            }
            unsecured["@context"] = context.clone();
        }
        None => drop(options.insert("@context".to_owned(), unsecured["@context"].clone())),
    }
    let created = options.get("created").and_then(Value::as_str).and_then(|created| created.parse().ok());
    let hash = suite.hash_data(&unsecured, &Value::Object(options), contexts).ok()?;
    let holds = base == Base::Base58Btc && signature_holds(&key, &hash, &signature);
    holds.then_some(Signed { method, created })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::IssuerKey;
    use crate::keyring::Keyring;

    fn key_of(identity: &Identity, method: &str) -> Option<VerifyingKey> {
        identity.key_of(method).map(|key| key.public)
    }

    fn signed() -> (Identity, Value) {
        let key = Identity::new(&Keyring::single(&IssuerKey::generate()), None);
        let mut document =
            json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "b": 1, "a": {"y": "é", "x": [1.0, 2]}});
        sign(&mut document, &key, "2026-11-27T00:00:00Z", Cryptosuite::EddsaJcs2022, &Contexts::bundled()).unwrap();
        (key, document)
    }

    #[test]
    fn a_signed_document_names_its_signer() {
        let (key, document) = signed();
        let signed = signer(&document, &Contexts::bundled(), |method| key_of(&key, method)).unwrap();
        assert_eq!((signed.did(), signed.method.clone()), (key.did(), key.method()));
        assert_eq!(signed.created, "2026-11-27T00:00:00Z".parse().ok());
    }

    #[test]
    fn a_changed_character_breaks_the_proof() {
        let (key, mut document) = signed();
        document["a"]["y"] = json!("e");
        assert_eq!(signer(&document, &Contexts::bundled(), |method| key_of(&key, method)), None);
    }

    #[test]
    fn a_proof_moved_to_another_key_breaks() {
        let (key, mut document) = signed();
        let other = Identity::new(&Keyring::single(&IssuerKey::generate()), None);
        document["proof"]["verificationMethod"] = json!(other.method());
        assert_eq!(signer(&document, &Contexts::bundled(), |method| key_of(&other, method)), None);
        assert_eq!(signer(&document, &Contexts::bundled(), |method| key_of(&key, method)), None);
    }

    /// W3C's eddsa-rdfc-2022 test vector (tests/vectors/ORIGIN.md), byte
    /// for byte: both canonical forms, the hash, the signed credential.
    #[test]
    fn the_w3c_eddsa_rdfc_2022_vector_is_reproduced() {
        let vocabulary = br#"{"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}"#;
        let contexts = Contexts::bundled().with("https://www.w3.org/ns/credentials/examples/v2", vocabulary);
        let signed: Value = serde_json::from_str(include_str!("../tests/vectors/eddsa-rdfc-2022/signed.json")).unwrap();
        let pair: Value = serde_json::from_str(include_str!("../tests/vectors/key-pair.json")).unwrap();
        let key = IssuerKey::parse(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
        let key = Identity::new(&Keyring::single(&key), None);
        let mut unsecured = signed.clone();
        let proof = unsecured.as_object_mut().unwrap().remove("proof").unwrap();
        let mut configuration = proof.clone();
        configuration.as_object_mut().unwrap().remove("proofValue");
        configuration["@context"] = unsecured["@context"].clone();
        let suite = Cryptosuite::EddsaRdfc2022;

        let document = include_str!("../tests/vectors/eddsa-rdfc-2022/canonical-document.nq");
        assert_eq!(canonical_nquads(&unsecured, &contexts).unwrap(), document);
        let options = include_str!("../tests/vectors/eddsa-rdfc-2022/canonical-proof-configuration.nq");
        assert_eq!(canonical_nquads(&configuration, &contexts).unwrap(), options);
        let hash = suite.hash_data(&unsecured, &configuration, &contexts).unwrap();
        let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, include_str!("../tests/vectors/eddsa-rdfc-2022/combined-hash.hex").trim());
        sign(&mut unsecured, &key, proof["created"].as_str().unwrap(), suite, &contexts).unwrap();
        assert_eq!(unsecured, signed, "the same credential, proofValue included");
        assert_eq!(signer(&signed, &contexts, |method| key_of(&key, method)).unwrap().did(), key.did());
        let bundled = Contexts::bundled();
        assert_eq!(
            signer(&signed, &bundled, |method| key_of(&key, method)),
            None,
            "a context the service does not sign with"
        );
    }
}
