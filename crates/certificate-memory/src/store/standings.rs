//! Certificates' standings in the embedded default: a change, its bits and
//! its event under the store's one mutex, as one transaction in Postgres.

use async_trait::async_trait;
use certificate_domain::ports::{CertificateStandings, StandingChange, StandingError};
use certificate_domain::StatusSlot;
use certificate_domain::{Standing, StandingRecord, StatusPurpose};

use super::InMemoryStore;

#[async_trait]
impl CertificateStandings for InMemoryStore {
    async fn standing(&self, certificate_id: &str) -> Result<StandingRecord, StandingError> {
        self.with_state(|state| Ok(state.standings.get(certificate_id).cloned().unwrap_or(StandingRecord::ACTIVE)))
    }

    async fn change_standing(&self, change: StandingChange<'_>) -> Result<bool, StandingError> {
        self.with_state(|state| {
            let current = state.standings.get(change.certificate_id).map_or(Standing::Active, |record| record.standing);
            if current != change.from {
                return Ok(false);
            }
            let record = StandingRecord {
                standing: change.to,
                reason: Some(change.reason.to_owned()),
                changed_at: Some(change.at),
            };
            state.standings.insert(change.certificate_id.to_owned(), record);
            if let Some(slot) = change.slot {
                state.set_bit(slot, StatusPurpose::Revocation, change.to == Standing::Revoked, change.at);
                state.set_bit(slot, StatusPurpose::Suspension, change.to == Standing::Suspended, change.at);
            }
            if change.queue_revocation {
                state.queue_revocation(change.certificate_id.to_owned(), None);
            }
            state.queue_event(change.event);
            Ok(true)
        })
    }

    async fn revoke_entry(&self, slot: StatusSlot) -> Result<(), StandingError> {
        self.with_state(|state| {
            state.set_bit(slot, StatusPurpose::Revocation, true, chrono::Utc::now());
            Ok(())
        })
    }
}
