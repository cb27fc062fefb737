//! The built-in credential issuer (`CREDENTIAL_ISSUER=local`). It promises:
//! - credentials in the W3C VC Data Model 2.0, signed with the issuer's
//!   Ed25519 key, verifiable offline by anyone: the issuer is a `did:key`,
//!   so its public key is in its name;
//! - by default Open Badges 3.0 (`open_badge.rs`) under the
//!   `eddsa-rdfc-2022` cryptosuite (RDFC-1.0 over bundled contexts only,
//!   `rdfc.rs`), or the earlier `CourseCertificate` (`course_certificate.rs`,
//!   the Sunbird RC credential request's subject fields) under
//!   `eddsa-jcs-2022` (`CREDENTIAL_FORMAT`, [`LocalIssuerConfig`]); either
//!   verifies, whatever the format now;
//! - `validFrom`/`validUntil` from the request's dates, and a `urn:uuid:`
//!   id that is the certificate id;
//! - learners are named `urn:uuid:<userId>` (no DID of their own: they hold
//!   no key, so a `did:key` would only pretend);
//! - verification of a recorded credential: the proof (made by this key, over
//!   this very credential), its dates, and its standing (revoked by a
//!   re-issue or an operator, suspended);
//! - the issuer's DID document, for verifiers that resolve rather than derive;
//! - a credential given a status list entry names it in `credentialStatus`:
//!   an Open Badge its revocation entry, a `CourseCertificate` one
//!   `BitstringStatusListEntry` per purpose (revocation, suspension),
//!   each list at `{PUBLIC_BASE_URL}/status/<list>-<purpose>`; the lists
//!   themselves are `BitstringStatusListCredential`s signed under the
//!   format's suite, the bitstring GZIP-compressed and multibase base64url-encoded
//!   (W3C Bitstring Status List v1.0);
//! - a credential a re-issue superseded is revoked by setting its revocation
//!   bit ([`StatusListRevocation`], the `CredentialRevocation` role).

mod config;
mod contexts;
mod course_certificate;
mod files;
mod first_degree;
mod holder_proof;
mod identity;
mod key;
mod keyring;
mod open_badge;
mod presentation;
mod proof;
mod rdf_template;
mod rdfc;
mod revocation;
mod verified_proofs;

use std::io::Write;
use std::sync::Arc;

use async_trait::async_trait;
use certificate_domain::ports::{
    CannotBind, CopySigning, CredentialIssuance, CredentialRequest, CredentialVerification, LearnerIdentity,
    PresentationProofs, PresentedHolder, ProofRefused, PublicLinks, StatusListSigning, UpstreamError,
};
use certificate_domain::{Checks, IssuedCredential, RecordedCredential, StatusPurpose, Verdict, VerdictStatus};
use certificate_domain::{StatusListDocument, StatusSlot};
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use multibase::Base;
use serde_json::{json, Value};
use uuid::Uuid;

pub use config::{AchievementTexts, CredentialFormat, IssuerProfile, LocalIssuerConfig, DEFAULT_ISSUER_NAME};
use contexts::{Contexts, CREDENTIALS_V2, OPEN_BADGES_V3};
use course_certificate::course_certificate;
pub use files::{compromise_key, init_keyring, key_from_file, keyring_from_file, rotate_keyring, show_keyring};
pub use holder_proof::JwtHolderProofs;
use identity::Identity;
pub use key::{IssuerKey, KeyError};
pub use keyring::{Keyring, RetiredKey};
use open_badge::{open_badge, BadgeParts};
pub use proof::Cryptosuite;
pub use revocation::StatusListRevocation;
use verified_proofs::VerifiedProofs;

/// Whether the DID document of `keyring` under `config`'s DID is one
/// resolvers accept (its size, with every key it publishes); the error says
/// what to do.
pub fn check_publishable(keyring: &Keyring, config: &LocalIssuerConfig) -> Result<(), String> {
    Identity::new(keyring, config.issuer_did.as_deref()).check_document_size()
}

pub struct LocalIssuer {
    /// Its keys, and its DID and key as its documents name them.
    keyring: Keyring,
    identity: Identity,
    /// Where the status lists its credentials name are served.
    links: Arc<dyn PublicLinks>,
    /// The only JSON-LD contexts its documents may name.
    contexts: Contexts,
    config: LocalIssuerConfig,
    /// The proofs of recorded credentials, checked once each.
    verified: VerifiedProofs,
}

impl LocalIssuer {
    /// An issuer of Open Badges with the default settings, and one key.
    pub fn new(key: IssuerKey, links: Arc<dyn PublicLinks>) -> Self {
        Self::with_keyring(Keyring::single(&key), links)
    }

    /// An issuer of Open Badges with the default settings and the keys of `keyring`.
    pub fn with_keyring(keyring: Keyring, links: Arc<dyn PublicLinks>) -> Self {
        let identity = Identity::new(&keyring, None);
        let (contexts, config) = (Contexts::bundled(), LocalIssuerConfig::default());
        Self { keyring, identity, links, contexts, config, verified: VerifiedProofs::default() }
    }

    pub fn with_config(mut self, config: LocalIssuerConfig) -> Self {
        self.identity = Identity::new(&self.keyring, config.issuer_did.as_deref());
        self.config = config;
        self
    }

    pub fn did(&self) -> String {
        self.identity.did().to_owned()
    }

    /// The issuer's DID document, with its key as a Multikey.
    pub fn did_document(&self) -> Value {
        self.identity.document()
    }

    fn credential(&self, request: &CredentialRequest<'_>, now: DateTime<Utc>) -> Value {
        let fields = request.request;
        let id = format!("urn:uuid:{}", Uuid::new_v4());
        let dates = [timestamp(fields.issued_at()), timestamp(fields.expires_at())];
        let mut credential = match self.config.format {
            CredentialFormat::OpenBadge => {
                let parts = BadgeParts {
                    issuer_did: self.identity.did(),
                    profile: &self.config.profile,
                    texts: &self.config.achievement,
                    achievement_id: self.links.achievement(fields.course_id()),
                };
                open_badge(request, &parts, &id, dates)
            }
            CredentialFormat::CourseCertificate => course_certificate(request, self.identity.did(), &id, dates),
        };
        if let Some(slot) = request.status {
            credential["credentialStatus"] = self.status_entries(slot);
        }
        proof::sign(&mut credential, &self.identity, &timestamp(now), self.suite(), &self.contexts)
            .expect("the issuer's own shapes canonicalise");
        credential
    }

    /// The OpenID4VCI credential configuration of this issuer's credentials
    /// (`ldp_vc`), under its id: a wallet's copy of a certificate is one.
    pub fn wallet_configuration(&self) -> (String, Value) {
        let (kind, contexts) = match self.config.format {
            CredentialFormat::OpenBadge => ("OpenBadgeCredential", vec![CREDENTIALS_V2, OPEN_BADGES_V3]),
            CredentialFormat::CourseCertificate => (course_certificate::CREDENTIAL_TYPE, vec![CREDENTIALS_V2]),
        };
        let configuration = json!({
            "format": "ldp_vc",
            "credential_definition": { "@context": contexts, "type": ["VerifiableCredential", kind] },
            "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
            "credential_signing_alg_values_supported": [self.suite().name()],
            "proof_types_supported": { "jwt": { "proof_signing_alg_values_supported": ["EdDSA", "ES256"] } },
            "credential_metadata": { "display": [{ "name": self.config.profile.name, "locale": "en" }] },
        });
        (kind.to_owned(), configuration)
    }

    /// The cryptosuite of the format: what its verifiers know.
    fn suite(&self) -> Cryptosuite {
        match self.config.format {
            CredentialFormat::OpenBadge => Cryptosuite::EddsaRdfc2022,
            CredentialFormat::CourseCertificate => Cryptosuite::EddsaJcs2022,
        }
    }

    /// One `BitstringStatusListEntry` per purpose; an Open Badge has room for
    /// one `credentialStatus` (1EdTech's schema), its revocation: suspension
    /// shows on the verify route only (docs/credentials.md).
    fn status_entries(&self, slot: StatusSlot) -> Value {
        let entry = |purpose: StatusPurpose| {
            let list = self.links.status_list(slot.list_id(purpose));
            json!({
                "id": format!("{list}#{}", slot.index),
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose.as_str(),
                "statusListIndex": slot.index.to_string(),
                "statusListCredential": list,
            })
        };
        match self.config.format {
            CredentialFormat::OpenBadge => entry(StatusPurpose::Revocation),
            CredentialFormat::CourseCertificate => Value::Array(StatusPurpose::ALL.into_iter().map(entry).collect()),
        }
    }

    fn verdict(&self, recorded: &RecordedCredential, now: DateTime<Utc>) -> Verdict {
        let typed = &recorded.credential;
        let key_of = |method: &str| self.identity.key_of(method);
        let signed = self.verified.of(typed.answer(), || {
            let credential = &typed.answer_json()["credential"];
            proof::signer(credential, &self.contexts, |method| key_of(method).map(|key| key.public))
        });
        // A compromised key vouches for what it signed before it was stolen,
        // by the proof's own date in the credential as recorded here.
        let ours = signed.is_some_and(|signed| {
            let trusted = key_of(&signed.method)
                .and_then(|key| key.compromised_since)
                .is_none_or(|since| signed.created.is_some_and(|created| created < since));
            trusted && typed.issuer.as_deref() == Some(signed.did())
        });
        let active = typed.valid_from.is_some_and(|from| from <= now);
        let expired = typed.valid_until.is_none_or(|until| until < now);
        let status = if recorded.revoked {
            VerdictStatus::Revoked
        } else if recorded.suspended {
            VerdictStatus::Suspended
        } else if !ours {
            VerdictStatus::Invalid
        } else if expired {
            VerdictStatus::Expired
        } else {
            VerdictStatus::Issued
        };
        let checks = Checks { active, not_revoked: !recorded.revoked, not_expired: !expired, proof: ours };
        Verdict { status, checks }
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[async_trait]
impl CredentialIssuance for LocalIssuer {
    async fn issue(&self, request: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError> {
        let credential = self.credential(&request, Utc::now());
        let answer = json!({ "credential": credential }).to_string();
        Ok(IssuedCredential::read(answer).expect("the credential was just made, with its id"))
    }
}

#[async_trait]
impl CredentialVerification for LocalIssuer {
    /// Offline, from the credential as recorded: nothing else knows it.
    async fn verify(
        &self,
        _certificate_id: &str,
        recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verdict>, UpstreamError> {
        Ok(recorded.map(|recorded| self.verdict(recorded, Utc::now())))
    }
}

/// A wallet's copy: the certificate's credential as recorded, its proof
/// replaced by one of the current key under the suite the certificate was
/// signed with (an Open Badge stays an Open Badge to its verifiers).
impl CopySigning for LocalIssuer {
    fn bind(
        &self,
        certificate: &IssuedCredential,
        holder: &str,
        copy_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, CannotBind> {
        let mut credential = certificate.answer_json()["credential"].take();
        let object =
            credential.as_object_mut().ok_or_else(|| CannotBind("the certificate has no credential".into()))?;
        let suite = object
            .remove("proof")
            .and_then(|proof| proof.get("cryptosuite").and_then(Value::as_str).and_then(Cryptosuite::named))
            .unwrap_or_else(|| self.suite());
        object.insert("id".into(), json!(format!("urn:uuid:{copy_id}")));
        let subject = object.get_mut("credentialSubject").and_then(Value::as_object_mut);
        subject.ok_or_else(|| CannotBind("the credential has no subject".into()))?.insert("id".into(), json!(holder));
        proof::sign(&mut credential, &self.identity, &timestamp(now), suite, &self.contexts)
            .map_err(|error| CannotBind(format!("the copy does not canonicalise: {error}")))?;
        Ok(credential.to_string())
    }
}

/// A VC-API wallet's DID authentication, over the contexts this issuer bundles.
impl PresentationProofs for LocalIssuer {
    fn presented_holder(&self, presentation: &Value) -> Result<PresentedHolder, ProofRefused> {
        presentation::presented_holder(presentation, &self.contexts)
    }
}

impl StatusListSigning for LocalIssuer {
    fn sign_list(&self, document: &StatusListDocument<'_>) -> String {
        let signed_at = timestamp(document.valid_from);
        let mut list = json!({
            "@context": [CREDENTIALS_V2],
            "id": document.url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.identity.did(),
            "validFrom": signed_at,
            "credentialSubject": {
                "id": format!("{}#list", document.url),
                "type": "BitstringStatusList",
                "statusPurpose": document.id.purpose.as_str(),
                "encodedList": encoded_list(document.bits),
                "ttl": document.ttl.as_millis() as u64,
            },
        });
        proof::sign(&mut list, &self.identity, &signed_at, self.suite(), &self.contexts)
            .expect("a status list canonicalises");
        list.to_string()
    }
}

/// The specification's `encodedList`: the bitstring GZIP-compressed (no
/// time in its header, so that it is the same on every replica), then
/// multibase base64url without padding.
fn encoded_list(bits: &[u8]) -> String {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    gzip.write_all(bits).expect("compressing into memory");
    multibase::encode(Base::Base64Url, gzip.finish().expect("compressing into memory"))
}

/// Learners as the built-in issuer names them: `urn:uuid:<userId>` (they
/// hold no key, so a DID of their own would only pretend).
pub struct UrnLearnerIdentity;

#[async_trait]
impl LearnerIdentity for UrnLearnerIdentity {
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        Ok(format!("urn:uuid:{user_id}"))
    }
}
