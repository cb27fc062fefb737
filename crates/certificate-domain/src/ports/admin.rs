//! What an operator does to the outbox (the `outbox` commands), and what the
//! retention deletes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

store_error!(
    /// Why an operator's command or the retention could not do what was asked.
    AdminError,
    "outbox"
);

/// What is waiting in the outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    pub pending: i64,
    pub dead: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Superseded credentials not yet confirmed revoked.
    pub revocations_pending: i64,
}

/// What one prune deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: usize,
    pub claims: usize,
    pub idempotency_keys: usize,
    /// Wallet offers, access tokens and nonces expired before the horizon.
    pub wallet_rows: usize,
    /// Bulk jobs whose every row was done before the horizon.
    pub bulk_jobs: usize,
}

/// A store's own housekeeping, now and then, that keeps its queries fast
/// while its tables grow from empty (Postgres: fresh planner statistics).
#[async_trait]
pub trait StoreUpkeep: Send + Sync + 'static {
    /// Does what is due now; answers the tables it refreshed.
    async fn upkeep(&self) -> Result<Vec<String>, AdminError>;
}

#[async_trait]
pub trait OutboxAdmin: Send + Sync + 'static {
    async fn status(&self) -> Result<OutboxStatus, AdminError>;
    /// Makes every dead event due again, its attempts reset; returns how many.
    async fn retry_dead(&self) -> Result<usize, AdminError>;
    /// Queues again every event recorded in `[since, until)`, with its event
    /// id, behind what is already queued; returns how many.
    async fn replay(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<usize, AdminError>;
    /// Deletes what is older than `horizon` and no longer needed: published
    /// events, claims given up without a certificate, idempotency keys.
    /// Dead events stay until an operator acts on them.
    async fn prune(&self, horizon: DateTime<Utc>) -> Result<Pruned, AdminError>;
}
