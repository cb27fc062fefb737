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

    /// The identity as `POST /certificate/generateDid` answers it, JSON text:
    /// the identity service's own answer where there is one; otherwise the
    /// shape it has, an array of one document with the id.
    async fn generate_did(&self, user_id: Uuid) -> Result<Arc<str>, UpstreamError> {
        let id = self.learner_did(user_id).await?;
        Ok(serde_json::json!([{ "id": id }]).to_string().into())
    }
}
