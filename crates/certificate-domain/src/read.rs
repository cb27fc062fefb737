//! Reading a recorded certificate back (what the platform shows a learner)
//! and verifying a credential (what anyone shown one may ask).

use std::sync::Arc;

use uuid::Uuid;

use crate::ports::{CertificateRepo, CredentialVerification, RecordedCertificate, RepoError, UpstreamError, Verdict};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error("no certificate is issued for this learner and course")]
    NotFound,
    #[error(transparent)]
    Repo(#[from] RepoError),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    #[error("no credential is known under this certificate id")]
    NotFound,
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

pub struct ReadCertificate {
    repo: Arc<dyn CertificateRepo>,
    verification: Arc<dyn CredentialVerification>,
}

impl ReadCertificate {
    pub fn new(repo: Arc<dyn CertificateRepo>, verification: Arc<dyn CredentialVerification>) -> Self {
        Self { repo, verification }
    }

    /// Asks the verifier, with the credential as recorded here when it is: a
    /// certificate this service never recorded is still verified if the
    /// credential service knows it.
    pub async fn verify(&self, certificate_id: &str) -> Result<Verdict, VerifyError> {
        let recorded = self.repo.find_credential(certificate_id).await?;
        self.verification.verify(certificate_id, recorded.as_ref()).await?.ok_or(VerifyError::NotFound)
    }

    pub async fn read(&self, user_id: Uuid, course_id: &str) -> Result<RecordedCertificate, ReadError> {
        self.repo.find(user_id, course_id).await?.ok_or(ReadError::NotFound)
    }
}
