//! The revocations a re-issue queued, in the embedded default.

use async_trait::async_trait;
use std::time::Duration;

use certificate_domain::ports::{PendingRevocation, RevocationQueue, RevocationQueueError};
use chrono::{DateTime, Utc};

use super::{after, InMemoryStore, RevocationRow};

#[async_trait]
impl RevocationQueue for InMemoryStore {
    async fn take_due(&self, limit: usize, lease: Duration) -> Result<Vec<PendingRevocation>, RevocationQueueError> {
        self.with_state(|state| {
            let now = Utc::now();
            let due = state.revocations.iter_mut().filter(|row| !row.revoked && row.next_attempt_at <= now);
            Ok(due
                .take(limit)
                .map(|row| {
                    row.next_attempt_at = after(now, lease);
                    PendingRevocation { id: row.id, certificate_id: row.certificate_id.clone(), attempts: row.attempts }
                })
                .collect())
        })
    }

    async fn revoked(&self, id: i64) -> Result<(), RevocationQueueError> {
        self.with_revocation(id, |row| row.revoked = true)
    }

    async fn failed(&self, id: i64, _error: &str, retry_at: DateTime<Utc>) -> Result<(), RevocationQueueError> {
        self.with_revocation(id, |row| {
            row.attempts += 1;
            row.next_attempt_at = retry_at;
        })
    }
}

impl InMemoryStore {
    fn with_revocation(&self, id: i64, change: impl FnOnce(&mut RevocationRow)) -> Result<(), RevocationQueueError> {
        self.with_state(|state| {
            if let Some(row) = state.revocations.iter_mut().find(|row| row.id == id) {
                change(row);
            }
            Ok(())
        })
    }

    /// Superseded credentials not yet revoked.
    pub fn revocations_pending(&self) -> usize {
        self.state.lock().unwrap().revocations.iter().filter(|row| !row.revoked).count()
    }
}
