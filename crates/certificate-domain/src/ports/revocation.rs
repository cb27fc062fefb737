//! Revocations of superseded credentials, queued in the same transaction as
//! the re-issue that superseded them and retried until the credential service
//! confirms, like outbox events.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

store_error!(
    /// Why the revocation queue could not do what was asked.
    RevocationQueueError,
    "revocation queue"
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRevocation {
    pub id: i64,
    pub certificate_id: String,
    /// Failed attempts so far.
    pub attempts: u32,
}

#[async_trait]
pub trait RevocationQueue: Send + Sync + 'static {
    /// Takes up to `limit` due revocations, oldest first, and holds them for
    /// `lease`: no other replica takes them meanwhile, and a crashed taker's
    /// come due again once it ends.
    async fn take_due(&self, limit: usize, lease: Duration) -> Result<Vec<PendingRevocation>, RevocationQueueError>;
    async fn revoked(&self, id: i64) -> Result<(), RevocationQueueError>;
    async fn failed(&self, id: i64, error: &str, retry_at: DateTime<Utc>) -> Result<(), RevocationQueueError>;
}
