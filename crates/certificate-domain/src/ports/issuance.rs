//! `CredentialIssuance`: making a learner's credential; and `IssuedLookup`,
//! finding again what an issuance made, for an issuer whose answer can be
//! lost on the way (a remote one).

use async_trait::async_trait;
use uuid::Uuid;

use super::{CredentialRequest, UpstreamError};
use crate::model::IssuedCredential;

#[async_trait]
pub trait CredentialIssuance: Send + Sync + 'static {
    /// Issues a credential tagged with the request's issuance id.
    async fn issue(&self, request: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError>;
}

#[async_trait]
pub trait IssuedLookup: Send + Sync + 'static {
    /// The newest credential tagged with this issuance id, if the issuer
    /// holds one, in the shape `CredentialIssuance::issue` answers with.
    async fn find_issued(&self, issuance_id: Uuid) -> Result<Option<IssuedCredential>, UpstreamError>;
}
