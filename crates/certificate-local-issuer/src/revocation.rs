//! The built-in issuer's revocation of a credential a re-issue superseded:
//! its revocation bit, set through the standings. The revocation queue
//! (certificate_domain's `RevocationDelivery`) calls it until it succeeds, as it
//! calls Sunbird RC's `DELETE`.

use std::sync::Arc;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause_from, CertificateRepo, CertificateStandings, CredentialRevocation, Upstream, UpstreamError,
};
use certificate_domain::{status_slot, PublishStatusLists};

/// Sets the revocation bit of a superseded credential.
pub struct StatusListRevocation {
    pub repo: Arc<dyn CertificateRepo>,
    pub standings: Arc<dyn CertificateStandings>,
    /// Told of the change, as `ChangeStanding` tells them.
    pub lists: Option<Arc<PublishStatusLists>>,
}

#[async_trait]
impl CredentialRevocation for StatusListRevocation {
    async fn revoke(&self, certificate_id: &str) -> Result<(), UpstreamError> {
        let unavailable = |error: &dyn std::fmt::Display| UpstreamError::Unreachable {
            upstream: Upstream::StatusLists,
            source: cause_from(format!("the status lists: {error}")),
        };
        let recorded = self.repo.find_credential(certificate_id).await.map_err(|e| unavailable(&e))?;
        match recorded.as_ref().and_then(|recorded| status_slot(&recorded.credential)) {
            Some(slot) => {
                self.standings.revoke_entry(slot).await.map_err(|e| unavailable(&e))?;
                if let Some(lists) = &self.lists {
                    lists.changed(slot.list);
                }
                Ok(())
            }
            // Issued before status lists: its revocation is the record alone.
            None => Ok(()),
        }
    }
}
