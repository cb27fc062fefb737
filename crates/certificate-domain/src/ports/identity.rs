//! `LearnerIdentity`: how a learner is named in the credentials issued to
//! them (a DID from an identity service, or a name of the service's own).

use async_trait::async_trait;
use uuid::Uuid;

use super::UpstreamError;

#[async_trait]
pub trait LearnerIdentity: Send + Sync + 'static {
    /// The id the learner's credentials name as their subject.
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError>;
}
