//! Reading a recorded certificate back (what the platform shows a learner)
//! and verifying a credential (what anyone shown one may ask).

use std::sync::Arc;

use uuid::Uuid;

use crate::model::{Standing, StandingRecord, Verdict};
use crate::ports::{
    CertificateRepo, CertificateStandings, CredentialVerification, RecordedCertificate, RepoError, StandingError,
    UpstreamError,
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error("no certificate is issued for this learner and course")]
    NotFound,
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Standing(#[from] StandingError),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    #[error("no credential is known under this certificate id")]
    NotFound,
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Standing(#[from] StandingError),
}

pub struct ReadCertificate {
    repo: Arc<dyn CertificateRepo>,
    verification: Arc<dyn CredentialVerification>,
    standings: Arc<dyn CertificateStandings>,
}

impl ReadCertificate {
    pub fn new(
        repo: Arc<dyn CertificateRepo>,
        verification: Arc<dyn CredentialVerification>,
        standings: Arc<dyn CertificateStandings>,
    ) -> Self {
        Self { repo, verification, standings }
    }

    /// Asks the verifier, with the credential as recorded here when it is
    /// (and its standing: revoked or suspended by an operator): a
    /// certificate this service never recorded is still verified if the
    /// credential service knows it.
    pub async fn verify(&self, certificate_id: &str) -> Result<Verdict, VerifyError> {
        let mut recorded = self.repo.find_credential(certificate_id).await?;
        if let Some(recorded) = recorded.as_mut() {
            let standing = self.standings.standing(certificate_id).await?.standing;
            recorded.revoked |= standing == Standing::Revoked;
            recorded.suspended = standing == Standing::Suspended;
        }
        self.verification.verify(certificate_id, recorded.as_ref()).await?.ok_or(VerifyError::NotFound)
    }

    /// The learner's certificate and its standing.
    pub async fn read(
        &self,
        user_id: Uuid,
        course_id: &str,
    ) -> Result<(RecordedCertificate, StandingRecord), ReadError> {
        let certificate = self.repo.find(user_id, course_id).await?.ok_or(ReadError::NotFound)?;
        let standing = self.standings.standing(&certificate.certificate_id).await?;
        Ok((certificate, standing))
    }
}
