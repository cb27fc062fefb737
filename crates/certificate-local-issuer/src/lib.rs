//! The built-in credential issuer (`CREDENTIAL_ISSUER=local`). It promises:
//! - credentials in the W3C VC Data Model 2.0, signed with the issuer's
//!   Ed25519 key under the `eddsa-jcs-2022` cryptosuite, verifiable offline
//!   by anyone: the issuer is a `did:key`, so its public key is in its name;
//! - the same subject fields as the Sunbird RC credential request
//!   (docs/contract.md), `validFrom`/`validUntil` from the request's dates,
//!   and a `urn:uuid:` id that is the certificate id;
//! - learners are named `urn:uuid:<userId>` (no DID of their own: they hold
//!   no key, so a `did:key` would only pretend);
//! - verification of a recorded credential: the proof (made by this key, over
//!   this very credential), its dates, and whether a re-issue revoked it;
//! - the issuer's DID document, for verifiers that resolve rather than derive.

mod key;
mod proof;

use std::path::Path;

use async_trait::async_trait;
use certificate_domain::ports::{
    Checks, CredentialIssuance, CredentialRequest, CredentialRevocation, CredentialVerification, IssuedCredential,
    LearnerIdentity, RecordedCredential, UpstreamError, Verdict, VerdictStatus,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

pub use key::{IssuerKey, KeyError};

const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
const CREDENTIAL_TYPE: &str = "CourseCertificate";

/// Reads `ISSUER_KEY_FILE`; an error names the variable and the file.
pub fn key_from_file(path: &Path) -> Result<IssuerKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("ISSUER_KEY_FILE {}: {e}", path.display()))?;
    IssuerKey::parse(&text).map_err(|e| format!("ISSUER_KEY_FILE {}: {e}", path.display()))
}

pub struct LocalIssuer {
    key: IssuerKey,
}

impl LocalIssuer {
    pub fn new(key: IssuerKey) -> Self {
        Self { key }
    }

    pub fn did(&self) -> String {
        self.key.did()
    }

    /// The `did:key` document of the issuer, with its key as a Multikey.
    pub fn did_document(&self) -> Value {
        let (did, method) = (self.key.did(), self.key.verification_method());
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [{
                "id": method, "type": "Multikey", "controller": did, "publicKeyMultibase": self.key.multikey(),
            }],
            "authentication": [method],
            "assertionMethod": [method],
            "capabilityInvocation": [method],
            "capabilityDelegation": [method],
        })
    }

    fn credential(&self, request: &CredentialRequest<'_>, now: DateTime<Utc>) -> Value {
        let fields = request.request;
        let mut credential = json!({
            "@context": [CREDENTIALS_V2],
            "id": format!("urn:uuid:{}", Uuid::new_v4()),
            "type": ["VerifiableCredential", CREDENTIAL_TYPE],
            "issuer": self.key.did(),
            "validFrom": timestamp(fields.issued_at()),
            "validUntil": timestamp(fields.expires_at()),
            "credentialSubject": {
                "id": request.learner_did,
                "type": CREDENTIAL_TYPE,
                "firstName": fields.first_name(),
                "middleName": fields.middle_name().unwrap_or(""),
                "lastName": fields.last_name(),
                "userId": fields.user_id(),
                "courseId": fields.course_id(),
                "courseName": fields.course_name(),
                "issuedOn": request.issued_on,
            },
        });
        proof::sign(&mut credential, &self.key, &timestamp(now));
        credential
    }

    fn verdict(&self, recorded: &RecordedCredential, now: DateTime<Utc>) -> Verdict {
        let typed = &recorded.credential;
        let answer = typed.answer_json();
        let ours = proof::signer(&answer["credential"]).is_some_and(|signer| signer == self.key.did())
            && typed.issuer.as_deref() == Some(self.key.did().as_str());
        let active = typed.valid_from.is_some_and(|from| from <= now);
        let expired = typed.valid_until.is_none_or(|until| until < now);
        let status = if recorded.revoked {
            VerdictStatus::Revoked
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

/// Learners as the built-in issuer names them: `urn:uuid:<userId>` (they
/// hold no key, so a DID of their own would only pretend).
pub struct UrnLearnerIdentity;

#[async_trait]
impl LearnerIdentity for UrnLearnerIdentity {
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        Ok(format!("urn:uuid:{user_id}"))
    }
}

/// Revocation with the built-in issuer: it keeps no list of its own, and its
/// verdicts read the revocation recorded with the re-issue
/// (certificate_revocation), so a revocation is done once it is recorded.
pub struct RecordedRevocation;

#[async_trait]
impl CredentialRevocation for RecordedRevocation {
    async fn revoke(&self, _certificate_id: &str) -> Result<(), UpstreamError> {
        Ok(())
    }
}
