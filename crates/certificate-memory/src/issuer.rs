use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{
    CredentialIssuance, CredentialRequest, CredentialRevocation, CredentialVerification, IssuedLookup, LearnerIdentity,
    Refusal, RevocationError, Upstream, UpstreamError,
};
use certificate_domain::{Checks, IssuedCredential, RecordedCredential, Verdict, VerdictStatus};
use serde_json::json;
use uuid::Uuid;

/// A credential the fake holds, with the issuance id it was tagged with.
#[derive(Debug, Clone)]
struct Held {
    credential: IssuedCredential,
    issuance_id: Uuid,
    revoked: bool,
}

/// Both upstream services in process: DIDs, and credentials shaped like the
/// real service's answers, kept with their issuance tag so that they can be
/// looked up and revoked. Failures can be queued per call for tests, and an
/// answer can be lost after the credential was made.
#[derive(Default)]
pub struct FakeCredentialIssuer {
    did_failures: Mutex<VecDeque<UpstreamError>>,
    credential_failures: Mutex<VecDeque<UpstreamError>>,
    lookup_failures: Mutex<VecDeque<UpstreamError>>,
    revoke_failures: Mutex<VecDeque<UpstreamError>>,
    /// Answers lost after the credential was made: the caller sees these errors.
    lost_answers: Mutex<VecDeque<UpstreamError>>,
    held: Mutex<Vec<Held>>,
}

fn fail_next(queue: &Mutex<VecDeque<UpstreamError>>) -> Result<(), UpstreamError> {
    queue.lock().unwrap().pop_front().map_or(Ok(()), Err)
}

impl FakeCredentialIssuer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next DID request fails with `error`.
    pub fn fail_next_did(&self, error: UpstreamError) {
        self.did_failures.lock().unwrap().push_back(error);
    }

    /// The next credential request fails with `error`, issuing nothing.
    pub fn fail_next_credential(&self, error: UpstreamError) {
        self.credential_failures.lock().unwrap().push_back(error);
    }

    /// The next credential is made, but its answer is lost (a timeout).
    pub fn lose_next_answer(&self) {
        self.lose_next_answer_as(UpstreamError::Timeout { upstream: Upstream::Credential });
    }

    /// The next credential is made, and the caller gets `error` instead of it
    /// (a dropped connection, a gateway's 502).
    pub fn lose_next_answer_as(&self, error: UpstreamError) {
        self.lost_answers.lock().unwrap().push_back(error);
    }

    /// The next lookup by issuance id fails with `error`.
    pub fn fail_next_lookup(&self, error: UpstreamError) {
        self.lookup_failures.lock().unwrap().push_back(error);
    }

    /// The next revocation fails with `error`.
    pub fn fail_next_revoke(&self, error: UpstreamError) {
        self.revoke_failures.lock().unwrap().push_back(error);
    }

    /// Credentials made, answered or not.
    pub fn credentials_issued(&self) -> usize {
        self.held.lock().unwrap().len()
    }

    /// Credentials made under one issuance id.
    pub fn credentials_of_issuance(&self, issuance_id: Uuid) -> usize {
        self.held.lock().unwrap().iter().filter(|held| held.issuance_id == issuance_id).count()
    }

    /// The certificate ids revoked so far.
    pub fn revoked(&self) -> Vec<String> {
        let held = self.held.lock().unwrap();
        held.iter().filter(|held| held.revoked).map(|held| held.credential.certificate_id.clone()).collect()
    }

    pub fn unavailable(upstream: Upstream) -> UpstreamError {
        UpstreamError::Refused { upstream, answer: "HTTP 500".to_owned(), refusal: Refusal::Other }
    }
}

#[async_trait]
impl LearnerIdentity for FakeCredentialIssuer {
    async fn learner_did(&self, _user_id: Uuid) -> Result<String, UpstreamError> {
        fail_next(&self.did_failures)?;
        Ok(format!("did:upai:{}", Uuid::new_v4()))
    }
}

#[async_trait]
impl CredentialIssuance for FakeCredentialIssuer {
    async fn issue(&self, credential: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError> {
        fail_next(&self.credential_failures)?;
        let request = credential.request;
        let certificate_id = format!("did:upai:{}", Uuid::new_v4());
        let body = json!({
            "credential": {
                "id": certificate_id,
                "@context": ["https://www.w3.org/2018/credentials/v1"],
                "type": ["VerifiableCredential"],
                "issuer": "did:upai:issuer",
                "issuanceDate": request.issuance_date(),
                "expirationDate": request.expiration_date(),
                "credentialSubject": {
                    "id": credential.learner_did,
                    "firstName": request.first_name(),
                    "lastName": request.last_name(),
                    "userId": request.user_id(),
                    "courseId": request.course_id(),
                    "courseName": request.course_name(),
                    "issuedOn": credential.issued_on,
                }
            }
        });
        let issued = IssuedCredential::read(body.to_string()).expect("the fake's answer has an id");
        let held = Held { credential: issued.clone(), issuance_id: credential.issuance_id, revoked: false };
        self.held.lock().unwrap().push(held);
        fail_next(&self.lost_answers)?;
        Ok(issued)
    }
}

#[async_trait]
impl IssuedLookup for FakeCredentialIssuer {
    async fn find_issued(&self, issuance_id: Uuid) -> Result<Option<IssuedCredential>, UpstreamError> {
        fail_next(&self.lookup_failures)?;
        let held = self.held.lock().unwrap();
        Ok(held.iter().rev().find(|held| held.issuance_id == issuance_id).map(|held| held.credential.clone()))
    }
}

#[async_trait]
impl CredentialRevocation for FakeCredentialIssuer {
    async fn revoke(&self, certificate_id: &str) -> Result<(), RevocationError> {
        fail_next(&self.revoke_failures)?;
        let mut held = self.held.lock().unwrap();
        held.iter_mut()
            .filter(|held| held.credential.certificate_id == certificate_id)
            .for_each(|held| held.revoked = true);
        Ok(())
    }
}

#[async_trait]
impl CredentialVerification for FakeCredentialIssuer {
    /// Judged from what the fake holds, as a remote verifier would; this
    /// fake signs nothing, so its proof is only as good as its word.
    async fn verify(
        &self,
        certificate_id: &str,
        _recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verdict>, UpstreamError> {
        let held = self.held.lock().unwrap();
        let found = held.iter().find(|held| held.credential.certificate_id == certificate_id);
        Ok(found.map(|held| {
            let status = if held.revoked { VerdictStatus::Revoked } else { VerdictStatus::Issued };
            let checks = Checks { active: true, not_revoked: !held.revoked, not_expired: true, proof: true };
            Verdict { status, checks }
        }))
    }
}
