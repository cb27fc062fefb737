//! The JSON-LD contexts the built-in issuer knows, bundled in the binary
//! (contexts/ORIGIN.md says where each comes from). JSON-LD processing loads
//! them from here and from nowhere else: a document naming any other
//! context cannot be canonicalized, so it is never signed.

use std::collections::HashMap;
use std::sync::Arc;

use crate::rdf_template::Templates;

/// VC Data Model 2.0: the first context of every credential we sign.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// Open Badges 3.0.3.
pub const OPEN_BADGES_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// VC Data Model 1.1 and the Ed25519Signature2020 suite: contexts of the
/// presentations wallets sign to authenticate (the Learner Credential
/// Wallet's), never of what this issuer signs.
const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
const ED25519_SIGNATURE_2020: &str = "https://w3id.org/security/suites/ed25519-2020/v1";

/// Context documents by URL.
#[derive(Clone)]
pub struct Contexts {
    documents: Arc<HashMap<String, &'static [u8]>>,
    /// The RDF of the document shapes seen with these contexts.
    templates: Templates,
}

impl Contexts {
    /// The contexts the service signs with, and those of wallets'
    /// authentications.
    pub fn bundled() -> Self {
        let documents = HashMap::from([
            (CREDENTIALS_V2.to_owned(), &include_bytes!("../contexts/credentials-v2.jsonld")[..]),
            (OPEN_BADGES_V3.to_owned(), &include_bytes!("../contexts/ob-v3p0-3.0.3.json")[..]),
            (CREDENTIALS_V1.to_owned(), &include_bytes!("../contexts/credentials-v1.jsonld")[..]),
            (ED25519_SIGNATURE_2020.to_owned(), &include_bytes!("../contexts/ed25519-signature-2020-v1.jsonld")[..]),
        ]);
        Self { documents: Arc::new(documents), templates: Templates::default() }
    }

    /// These and one more: W3C's test vectors name a context of examples.
    #[cfg(test)]
    pub(crate) fn with(&self, url: &str, document: &'static [u8]) -> Self {
        let mut documents = (*self.documents).clone();
        documents.insert(url.to_owned(), document);
        Self { documents: Arc::new(documents), templates: Templates::default() }
    }

    pub(crate) fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The document of `url`, if it is one of these.
    pub fn get(&self, url: &str) -> Option<&'static [u8]> {
        self.documents.get(url).copied()
    }
}
