//! Reading a recorded certificate back (what the platform shows a learner)
//! and verifying a credential (what anyone shown one may ask).

use std::sync::Arc;

use uuid::Uuid;

use crate::model::{IssuedCredential, Standing, StandingRecord, Verdict};
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

/// A verdict, and what it is about.
#[derive(Debug, Clone)]
pub struct Examined {
    pub verdict: Verdict,
    /// `None` when the service never recorded the credential (a credential
    /// service vouched for it).
    pub credential: Option<IssuedCredential>,
    pub standing: StandingRecord,
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
        Ok(self.examine(certificate_id).await?.verdict)
    }

    /// [`ReadCertificate::verify`], with what a person shown the
    /// certificate reads beside the verdict: the credential as recorded
    /// here, if it is, and its standing (when it changed).
    pub async fn examine(&self, certificate_id: &str) -> Result<Examined, VerifyError> {
        let mut recorded = self.repo.find_credential(certificate_id).await?;
        let mut standing = StandingRecord::ACTIVE;
        if let Some(recorded) = recorded.as_mut() {
            standing = self.standings.standing(certificate_id).await?;
            recorded.revoked |= standing.standing == Standing::Revoked;
            recorded.suspended = standing.standing == Standing::Suspended;
        }
        let verdict =
            self.verification.verify(certificate_id, recorded.as_ref()).await?.ok_or(VerifyError::NotFound)?;
        Ok(Examined { verdict, credential: recorded.map(|recorded| recorded.credential), standing })
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
