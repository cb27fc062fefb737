//! The built-in issuer's revocation of a credential a re-issue superseded:
//! its revocation bit, set through the standings. The revocation queue
//! (certificate_domain's `RevocationDelivery`) calls it until it succeeds, as it
//! calls Sunbird RC's `DELETE`.

use std::sync::Arc;

use async_trait::async_trait;
use certificate_domain::ports::{CertificateRepo, CertificateStandings, CredentialRevocation, RevocationError};
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
    async fn revoke(&self, certificate_id: &str) -> Result<(), RevocationError> {
        let recorded = self.repo.find_credential(certificate_id).await?;
        match recorded.as_ref().and_then(|recorded| status_slot(&recorded.credential)) {
            Some(slot) => {
                self.standings.revoke_entry(slot).await?;
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
