//! `CredentialRevocation`: telling the issuer that a credential is revoked.

use async_trait::async_trait;

use super::UpstreamError;

#[async_trait]
pub trait CredentialRevocation: Send + Sync + 'static {
    /// Revokes a credential; one that is already revoked or unknown counts as revoked.
    async fn revoke(&self, certificate_id: &str) -> Result<(), UpstreamError>;
}
