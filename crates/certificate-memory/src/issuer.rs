use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{CredentialIssuer, CredentialRequest, IssuedCredential, Upstream, UpstreamError};
use serde_json::json;
use uuid::Uuid;

/// Both upstream services in process: DIDs and credentials shaped like the
/// real services' answers. Failures can be queued per call for tests.
#[derive(Default)]
pub struct FakeCredentialIssuer {
    did_failures: Mutex<VecDeque<UpstreamError>>,
    credential_failures: Mutex<VecDeque<UpstreamError>>,
    credentials_issued: AtomicUsize,
}

impl FakeCredentialIssuer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next DID request fails with `error`.
    pub fn fail_next_did(&self, error: UpstreamError) {
        self.did_failures.lock().unwrap().push_back(error);
    }

    /// The next credential request fails with `error`.
    pub fn fail_next_credential(&self, error: UpstreamError) {
        self.credential_failures.lock().unwrap().push_back(error);
    }

    pub fn credentials_issued(&self) -> usize {
        self.credentials_issued.load(Ordering::SeqCst)
    }

    pub fn unavailable(upstream: Upstream) -> UpstreamError {
        UpstreamError::Rejected { upstream, status: 500 }
    }
}

#[async_trait]
impl CredentialIssuer for FakeCredentialIssuer {
    async fn generate_did(&self, _user_id: Uuid) -> Result<String, UpstreamError> {
        if let Some(error) = self.did_failures.lock().unwrap().pop_front() {
            return Err(error);
        }
        Ok(format!("did:upai:{}", Uuid::new_v4()))
    }

    async fn issue_credential(&self, credential: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError> {
        if let Some(error) = self.credential_failures.lock().unwrap().pop_front() {
            return Err(error);
        }
        self.credentials_issued.fetch_add(1, Ordering::SeqCst);
        let request = credential.request;
        let certificate_id = format!("did:upai:{}", Uuid::new_v4());
        let body = json!({
            "credential": {
                "id": certificate_id,
                "@context": ["https://www.w3.org/2018/credentials/v1"],
                "type": ["VerifiableCredential"],
                "issuer": "did:upai:issuer",
                "issuanceDate": request.issuance_date,
                "expirationDate": request.expiration_date,
                "credentialSubject": {
                    "id": credential.learner_did,
                    "firstName": request.first_name,
                    "lastName": request.last_name,
                    "userId": request.user_id,
                    "courseId": request.course_id,
                    "courseName": request.course_name,
                    "issuedOn": credential.issued_on,
                }
            }
        });
        Ok(IssuedCredential { certificate_id, body })
    }
}
