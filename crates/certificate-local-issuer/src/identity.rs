//! Who the built-in issuer says it is, and how its proofs name its key.
//! By default a `did:key`: the key is the name, nothing to resolve, and a
//! new key is a new issuer. With `ISSUER_DID` a `did:web` (W3C CCG's did:web
//! method): a domain the institution controls, whose DID document this
//! service serves where the method looks (`/.well-known/did.json`, or
//! `/<path>/did.json`), so that a verifier resolves the name to its keys. Either way a proof's verification method is
//! `<did>#<multikey>`, the key's public multikey as its fragment.

use serde_json::{json, Value};

use crate::key::IssuerKey;
use crate::keyring::{Keyring, PublishedKey};

/// What did:web resolvers accept (Digital Bazaar's and DCC's refuse more).
pub(crate) const DID_DOCUMENT_LIMIT: usize = 8 * 1024;

#[derive(Clone)]
pub(crate) struct Identity {
    did: String,
    current: IssuerKey,
    published: Vec<PublishedKey>,
}

impl Identity {
    /// The keys of `keyring` under `did_web` (a checked `did:web:…`), or
    /// under the current key's `did:key`.
    pub(crate) fn new(keyring: &Keyring, did_web: Option<&str>) -> Self {
        let current = keyring.current();
        let did = did_web.map_or_else(|| current.did(), str::to_owned);
        Self { did, current, published: keyring.published().collect() }
    }

    pub(crate) fn did(&self) -> &str {
        &self.did
    }

    /// The key that signs.
    pub(crate) fn key(&self) -> &IssuerKey {
        &self.current
    }

    /// The verification method every proof names.
    pub(crate) fn method(&self) -> String {
        format!("{}#{}", self.did, self.current.multikey())
    }

    /// The published key a proof's verification method names, if it is
    /// this issuer's: `<our did>#<one of our keys>`, or one of our keys
    /// under its own `did:key` (what the issuer was named before a did:web
    /// was set, or before a rotation without one).
    pub(crate) fn key_of(&self, method: &str) -> Option<&PublishedKey> {
        let (did, fragment) = method.split_once('#')?;
        let named = did == self.did || did.strip_prefix("did:key:") == Some(fragment);
        self.published.iter().find(|key| named && key.multikey == fragment)
    }

    /// The DID document. A did:key's names its one key; a did:web's every
    /// published key as a `Multikey` with an absolute id, each for
    /// assertions (credentials, status lists: the next key too, so that it
    /// is known before it signs, the retired ones so that what they signed
    /// verifies), the current one for authentication.
    pub(crate) fn document(&self) -> Value {
        let listed: Vec<&str> = if self.did.starts_with("did:web:") {
            self.published.iter().map(|key| key.multikey.as_str()).collect()
        } else {
            vec![self.current.multikey()]
        };
        let method = |multikey: &str| format!("{}#{multikey}", self.did);
        let methods: Vec<Value> = listed
            .iter()
            .map(|multikey| {
                json!({"id": method(multikey), "type": "Multikey", "controller": self.did, "publicKeyMultibase": multikey})
            })
            .collect();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "verificationMethod": methods,
            "authentication": [self.method()],
            "assertionMethod": listed.iter().map(|multikey| method(multikey)).collect::<Vec<_>>(),
        })
    }

    /// The document's size, refused past what resolvers accept.
    pub(crate) fn check_document_size(&self) -> Result<(), String> {
        let size = self.document().to_string().len();
        if size > DID_DOCUMENT_LIMIT {
            return Err(format!(
                "the DID document would be {size} bytes with {} keys, over the {DID_DOCUMENT_LIMIT} bytes did:web \
                 resolvers accept: remove the oldest retired keys from ISSUER_KEYS_FILE (what they signed then no \
                 longer verifies elsewhere; re-issue it first)",
                self.published.len()
            ));
        }
        Ok(())
    }
}

/// `value` if it is a `did:web` this service can serve: a host (a port
/// percent-encoded, `localhost%3A8443`) and optionally a path of segments
/// (`did:web:example.org:issuers:1`, served at `/issuers/1/did.json`); the
/// error says why not.
pub(crate) fn checked_did_web(value: &str) -> Result<String, String> {
    let Some(rest) = value.strip_prefix("did:web:") else {
        return Err(format!("ISSUER_DID must be a did:web (did:key is the default when it is unset), not '{value}'"));
    };
    let mut parts = rest.split(':');
    let host = parts.next().unwrap_or_default();
    let (name, port) = host.split_once("%3A").map_or((host, None), |(name, port)| (name, Some(port)));
    let name_ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !label.starts_with('-')
        });
    let port_ok = port.is_none_or(|port| !port.is_empty() && port.parse::<u16>().is_ok());
    if !name_ok || !port_ok {
        return Err(format!("ISSUER_DID '{value}': not a host name, with an optional %3A and port, after did:web:"));
    }
    let segment_ok = |segment: &str| {
        !segment.is_empty()
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || "-._~%".contains(c))
            && !segment.contains("%3A")
            && segment != "."
            && segment != ".."
    };
    if let Some(bad) = parts.find(|segment| !segment_ok(segment)) {
        return Err(format!(
            "ISSUER_DID '{value}': the path segment '{bad}' is not one a URL path holds as it is (letters, digits, \
             - . _ ~ and percent-escapes)"
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(keyring: &Keyring) -> Identity {
        Identity::new(keyring, Some("did:web:university.example"))
    }

    #[test]
    fn a_did_key_issuer_names_its_key_and_resolves_only_its_own_method() {
        let identity = Identity::new(&Keyring::single(&IssuerKey::generate()), None);
        assert_eq!(identity.did(), identity.key().did());
        assert_eq!(identity.method(), format!("{}#{}", identity.did(), identity.key().multikey()));
        assert!(identity.key_of(&identity.method()).is_some());
        let other = Identity::new(&Keyring::single(&IssuerKey::generate()), None);
        assert!(identity.key_of(&other.method()).is_none());
        assert_eq!(identity.document()["verificationMethod"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_did_web_issuer_names_its_key_under_its_domain() {
        let identity = web(&Keyring::single(&IssuerKey::generate()));
        let method = format!("did:web:university.example#{}", identity.key().multikey());
        assert_eq!(identity.method(), method);
        let document = identity.document();
        assert_eq!(document["id"], "did:web:university.example");
        assert_eq!(document["verificationMethod"][0]["id"], method.as_str());
        assert_eq!(document["verificationMethod"][0]["controller"], "did:web:university.example");
        assert_eq!(document["assertionMethod"], json!([method]));
        let before = format!("{}#{}", identity.key().did(), identity.key().multikey());
        assert!(identity.key_of(&before).is_some(), "its credentials from before the did:web still verify");
        let other = web(&Keyring::single(&IssuerKey::generate()));
        assert!(identity.key_of(&other.method()).is_none(), "another key under the same name");
        assert!(identity
            .key_of(&format!("did:key:{}#{}", other.key().multikey(), identity.key().multikey()))
            .is_none());
    }

    #[test]
    fn a_did_web_document_publishes_the_next_and_the_retired_keys_for_assertions() {
        let first = IssuerKey::generate();
        let mut keyring = Keyring::new(first.clone());
        keyring.rotate(chrono::Utc::now()).unwrap();
        let identity = web(&keyring);
        let document = identity.document();
        assert_eq!(document["verificationMethod"].as_array().unwrap().len(), 3, "current, next, retired");
        assert_eq!(document["assertionMethod"].as_array().unwrap().len(), 3);
        assert_eq!(document["authentication"], json!([identity.method()]));
        let retired = format!("did:web:university.example#{}", first.multikey());
        assert!(identity.key_of(&retired).is_some(), "what the retired key signed still verifies");
        assert_ne!(identity.key().multikey(), first.multikey(), "the retired key no longer signs");
    }

    #[test]
    fn a_document_past_what_resolvers_accept_is_refused() {
        let mut keyring = Keyring::new(IssuerKey::generate());
        let mut rotations = 0;
        while web(&keyring).check_document_size().is_ok() {
            keyring.rotate(chrono::Utc::now()).unwrap();
            rotations += 1;
        }
        assert!(rotations > 10, "room for years of yearly rotations: {rotations}");
        let error = web(&keyring).check_document_size().unwrap_err();
        assert!(error.contains("ISSUER_KEYS_FILE") && error.contains("8192"), "{error}");
    }

    #[test]
    fn only_a_did_web_of_a_host_is_taken() {
        let good = [
            "did:web:university.example",
            "did:web:localhost%3A8443",
            "did:web:a-b.c9.example",
            "did:web:university.example:issuers:1",
            "did:web:localhost%3A8443:issuers:caf%C3%A9",
        ];
        for good in good {
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
        for bad_path in ["did:web:university.example::1", "did:web:university.example:a b", "did:web:u.example:.."] {
            let error = checked_did_web(bad_path).unwrap_err();
            assert!(error.contains("path segment"), "{bad_path}: {error}");
        }
    }
}
