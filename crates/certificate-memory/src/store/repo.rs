//! The certificates and their claims in the embedded default: a claim, the
//! record of an issuance with its event, under the store's one mutex.

use async_trait::async_trait;
use certificate_domain::ports::{
    CertificateRepo, Claim, ClaimRequest, ClaimToken, IssuedCertificate, RecordedCertificate, RepoError,
};
use certificate_domain::{CertificateEvent, RecordedCredential, STATUS_VIEW_CERTIFICATE};
use chrono::Utc;
use uuid::Uuid;

use super::{InMemoryStore, StoredCertificate};

#[async_trait]
impl CertificateRepo for InMemoryStore {
    async fn find(&self, user_id: Uuid, course_id: &str) -> Result<Option<RecordedCertificate>, RepoError> {
        self.with_state(|state| {
            let key = (user_id, course_id.to_owned());
            let (Some(certificate), Some(claim)) = (state.certificates.get(&key), state.claims.get(&key)) else {
                return Ok(None);
            };
            Ok(claim.credential.clone().map(|credential| RecordedCertificate {
                certificate_id: certificate.certificate_id.clone(),
                status: certificate.status.clone(),
                issued_on: Some(certificate.issued_on),
                credential,
            }))
        })
    }

    async fn find_credential(&self, certificate_id: &str) -> Result<Option<RecordedCredential>, RepoError> {
        self.with_state(|state| {
            let current = state.claims.values().find(|claim| claim.certificate_id.as_deref() == Some(certificate_id));
            if let Some(credential) = current.and_then(|claim| claim.credential.clone()) {
                return Ok(Some(RecordedCredential { credential, revoked: false, suspended: false }));
            }
            let superseded = state.revocations.iter().find(|row| row.certificate_id == certificate_id);
            let credential = superseded.and_then(|row| row.credential.clone());
            Ok(credential.map(|credential| RecordedCredential { credential, revoked: true, suspended: false }))
        })
    }

    async fn claim(&self, request: ClaimRequest<'_>) -> Result<Claim, RepoError> {
        self.with_state(|state| Ok(state.claim(&request, Utc::now())))
    }

    async fn release(&self, token: ClaimToken, outcome_unknown: bool) -> Result<(), RepoError> {
        self.with_state(|state| {
            if let Some((_, row)) = state.claim_mut(token).filter(|(_, row)| row.pending_until.is_some()) {
                row.pending_until = None;
                row.outcome_unknown |= outcome_unknown;
            }
            Ok(())
        })
    }

    async fn record_issued(
        &self,
        token: ClaimToken,
        certificate: IssuedCertificate<'_>,
        event: &CertificateEvent,
    ) -> Result<i64, RepoError> {
        self.with_state(|state| {
            let (key, row) = state.claim_mut(token).ok_or(RepoError::ClaimLost)?;
            if row.pending_until.is_none() {
                return Err(RepoError::ClaimLost);
            }
            row.pending_until = None;
            row.outcome_unknown = false;
            let previous_credential = row.credential.replace(certificate.credential.clone());
            let new_id = &certificate.credential.certificate_id;
            let superseded = row.certificate_id.replace(new_id.clone()).filter(|previous| previous != new_id);
            let key = key.clone();
            if let Some(previous) = superseded.filter(|_| certificate.revoke_previous) {
                state.queue_revocation(previous, previous_credential);
            }
            state.certificates.insert(
                key,
                StoredCertificate {
                    certificate_id: certificate.credential.certificate_id.clone(),
                    status: STATUS_VIEW_CERTIFICATE.to_owned(),
                    issued_on: certificate.request.issued_at(),
                },
            );
            Ok(state.queue_event(event))
        })
    }
}
