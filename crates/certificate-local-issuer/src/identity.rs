//! Who the built-in issuer says it is, and how its proofs name its key.
//! By default a `did:key`: the key is the name, nothing to resolve, and a
//! new key is a new issuer. With `ISSUER_DID` a `did:web` (W3C CCG's did:web
//! method): a domain the institution controls, whose DID document this
//! service serves at `/.well-known/did.json`, so that a verifier resolves
//! the name to its keys. Either way a proof's verification method is
//! `<did>#<multikey>`, the key's public multikey as its fragment.

use ed25519_dalek::VerifyingKey;
use serde_json::{json, Value};

use crate::key::IssuerKey;

#[derive(Clone)]
pub(crate) struct Identity {
    did: String,
    key: IssuerKey,
}

impl Identity {
    /// `key` under `did_web` (a checked `did:web:…`), or under its `did:key`.
    pub(crate) fn new(key: IssuerKey, did_web: Option<&str>) -> Self {
        let did = did_web.map_or_else(|| key.did(), str::to_owned);
        Self { did, key }
    }

    pub(crate) fn did(&self) -> &str {
        &self.did
    }

    pub(crate) fn key(&self) -> &IssuerKey {
        &self.key
    }

    /// The verification method every proof names.
    pub(crate) fn method(&self) -> String {
        format!("{}#{}", self.did, self.key.multikey())
    }

    /// Whether `did` names this issuer: its DID, or its key's `did:key`
    /// (what it was before a `did:web` was set: the same key vouches for
    /// the credentials it signed then).
    pub(crate) fn is_named(&self, did: &str) -> bool {
        did == self.did || did == self.key.did()
    }

    /// The key a proof's verification method names, if it is this issuer's.
    pub(crate) fn key_of(&self, method: &str) -> Option<VerifyingKey> {
        let (did, fragment) = method.split_once('#')?;
        (self.is_named(did) && fragment == self.key.multikey()).then(|| self.key.verifying_key())
    }

    /// The DID document: the key as a `Multikey` verification method with
    /// an absolute id, for assertions (credentials, status lists) and
    /// authentication.
    pub(crate) fn document(&self) -> Value {
        let method = self.method();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": [{
                "id": method, "type": "Multikey", "controller": self.did, "publicKeyMultibase": self.key.multikey(),
            }],
            "authentication": [method],
            "assertionMethod": [method],
            "capabilityInvocation": [method],
            "capabilityDelegation": [method],
        })
    }
}

/// `value` if it is a `did:web` this service can serve: a host (a port
/// percent-encoded, `localhost%3A8443`) and no path; the error says why not.
pub(crate) fn checked_did_web(value: &str) -> Result<String, String> {
    let Some(host) = value.strip_prefix("did:web:") else {
        return Err(format!("ISSUER_DID must be a did:web (did:key is the default when it is unset), not '{value}'"));
    };
    if host.contains(':') {
        return Err(format!(
            "ISSUER_DID '{value}': a did:web with a path is not served yet; use did:web:<host> \
             (its document is served at /.well-known/did.json)"
        ));
    }
    let (name, port) = host.split_once("%3A").map_or((host, None), |(name, port)| (name, Some(port)));
    let name_ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !label.starts_with('-')
        });
    let port_ok = port.is_none_or(|port| !port.is_empty() && port.parse::<u16>().is_ok());
    if !name_ok || !port_ok {
        return Err(format!("ISSUER_DID '{value}': not a host name, with an optional %3A and port, after did:web:"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_did_key_issuer_names_its_key_and_resolves_only_its_own_method() {
        let identity = Identity::new(IssuerKey::generate(), None);
        assert_eq!(identity.did(), identity.key().did());
        assert_eq!(identity.method(), format!("{}#{}", identity.did(), identity.key().multikey()));
        assert!(identity.key_of(&identity.method()).is_some());
        let other = Identity::new(IssuerKey::generate(), None);
        assert!(identity.key_of(&other.method()).is_none());
    }

    #[test]
    fn a_did_web_issuer_names_its_key_under_its_domain() {
        let identity = Identity::new(IssuerKey::generate(), Some("did:web:university.example"));
        let method = format!("did:web:university.example#{}", identity.key().multikey());
        assert_eq!(identity.method(), method);
        let document = identity.document();
        assert_eq!(document["id"], "did:web:university.example");
        assert_eq!(document["verificationMethod"][0]["id"], method.as_str());
        assert_eq!(document["verificationMethod"][0]["controller"], "did:web:university.example");
        assert_eq!(document["assertionMethod"], json!([method]));
        let before = format!("{}#{}", identity.key().did(), identity.key().multikey());
        assert!(identity.key_of(&before).is_some(), "its credentials from before the did:web still verify");
        let other = Identity::new(IssuerKey::generate(), Some("did:web:university.example"));
        assert!(identity.key_of(&other.method()).is_none(), "another key under the same name");
    }

    #[test]
    fn only_a_did_web_of_a_host_is_taken() {
        for good in ["did:web:university.example", "did:web:localhost%3A8443", "did:web:a-b.c9.example"] {
            assert_eq!(checked_did_web(good).as_deref(), Ok(good));
        }
        for bad in [
            "did:key:z6Mk",
            "did:web:",
            "did:web:uni versity.example",
            "did:web:localhost%3A",
            "did:web:localhost%3A99999",
            "did:web:-x.example",
            "did:web:a..example",
        ] {
            let error = checked_did_web(bad).unwrap_err();
            assert!(error.starts_with("ISSUER_DID"), "{bad}: {error}");
        }
        let with_a_path = checked_did_web("did:web:university.example:issuers:1").unwrap_err();
        assert!(with_a_path.contains("a did:web with a path is not served yet"), "{with_a_path}");
    }
}
