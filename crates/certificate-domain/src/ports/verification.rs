//! `CredentialVerification`: a verdict on a credential (proof, dates, revocation).

use async_trait::async_trait;

use super::UpstreamError;
use crate::model::{RecordedCredential, Verdict};

#[async_trait]
pub trait CredentialVerification: Send + Sync + 'static {
    /// Checks a credential; `None` when the verifier does not know the id.
    /// `recorded` is the credential as this service recorded it, if it did:
    /// a verifier that works offline checks that; one that keeps its own
    /// records asks by id.
    async fn verify(
        &self,
        certificate_id: &str,
        recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verdict>, UpstreamError>;
}
