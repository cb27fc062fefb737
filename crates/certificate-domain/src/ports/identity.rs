//! `LearnerIdentity`: how a learner is named in the credentials issued to
//! them (a DID from an identity service, or a name of the service's own).

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use super::UpstreamError;

#[async_trait]
pub trait LearnerIdentity: Send + Sync + 'static {
    /// The id the learner's credentials name as their subject.
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError>;

    /// A learner's identity as made on request: the identity service's own
    /// answer where there is one, otherwise the id alone.
    async fn generate_did(&self, user_id: Uuid) -> Result<GeneratedIdentity, UpstreamError> {
        Ok(GeneratedIdentity::Named(self.learner_did(user_id).await?))
    }
}

/// What [`LearnerIdentity::generate_did`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneratedIdentity {
    /// The identity service's answer, its own document, to be passed on
    /// as it came (checked to name a DID).
    Answered(Arc<str>),
    /// An id of the service's own; no document was made for it.
    Named(String),
}
