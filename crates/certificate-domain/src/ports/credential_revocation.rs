//! `CredentialRevocation`: telling the issuer that a credential is revoked.

use async_trait::async_trait;

use super::{RepoError, StandingError, UpstreamError};

#[async_trait]
pub trait CredentialRevocation: Send + Sync + 'static {
    /// Revokes a credential; one that is already revoked or unknown counts as revoked.
    async fn revoke(&self, certificate_id: &str) -> Result<(), RevocationError>;
}

/// Why a revocation did not happen yet, by the port that failed: the
/// credential service (Sunbird RC), or, for the built-in issuer, this
/// service's own record of the credential or its status lists.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RevocationError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("the certificate's record: {0}")]
    Repo(#[from] RepoError),
    #[error("the status lists: {0}")]
    Standings(#[from] StandingError),
}
