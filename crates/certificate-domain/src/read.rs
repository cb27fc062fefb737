//! Reading a recorded certificate back: what the platform shows a learner.

use std::sync::Arc;

use uuid::Uuid;

use crate::ports::{CertificateRepo, RecordedCertificate, RepoError};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error("no certificate is issued for this learner and course")]
    NotFound,
    #[error(transparent)]
    Repo(#[from] RepoError),
}

pub struct ReadCertificate {
    repo: Arc<dyn CertificateRepo>,
}

impl ReadCertificate {
    pub fn new(repo: Arc<dyn CertificateRepo>) -> Self {
        Self { repo }
    }

    pub async fn read(&self, user_id: Uuid, course_id: &str) -> Result<RecordedCertificate, ReadError> {
        self.repo.find(user_id, course_id).await?.ok_or(ReadError::NotFound)
    }
}
