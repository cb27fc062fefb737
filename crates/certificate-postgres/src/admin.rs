//! Operator commands on the outbox: status, retry of dead events, replay of
//! a time window, and pruning past the retention. Replay and retry make the
//! events due again with their original event ids; the running relay then
//! publishes them.

use certificate_domain::ports::RepoError;
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, min, now};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::certificate_outbox::dsl::*;
use crate::statement::Statement;
use crate::PgStore;

/// Published events only: undelivered and dead ones are never pruned.
const PRUNE_EVENTS: &str = r#"
DELETE FROM certificate_outbox WHERE id IN (
    SELECT id FROM certificate_outbox
     WHERE created_at < $1 AND published_at < $1
     LIMIT $2 FOR UPDATE SKIP LOCKED)"#;

/// Claims given up without a certificate. Issued claims stay: they hold the
/// answer a repeat gets, one row per certificate, like the certificate table.
const PRUNE_CLAIMS: &str = r#"
DELETE FROM certificate_issuance WHERE ("userId", "courseId") IN (
    SELECT "userId", "courseId" FROM certificate_issuance
     WHERE state = 'released' AND updated_at < $1
     LIMIT $2 FOR UPDATE SKIP LOCKED)"#;

const PRUNE_KEYS: &str = r#"
DELETE FROM certificate_idempotency_key WHERE key IN (
    SELECT key FROM certificate_idempotency_key WHERE created_at < $1
     LIMIT $2 FOR UPDATE SKIP LOCKED)"#;

/// Rows deleted per statement, so that pruning never holds many locks or
/// writes a large transaction beside live traffic.
const PRUNE_BATCH: i64 = 1000;

/// What one prune deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: usize,
    pub claims: usize,
    pub idempotency_keys: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxStatus {
    pub pending: i64,
    pub dead: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// The operator's view of the outbox.
#[async_trait::async_trait]
pub trait OutboxAdmin {
    async fn status(&self) -> Result<OutboxStatus, RepoError>;
    /// Makes every dead event due again; returns how many.
    async fn retry_dead(&self) -> Result<usize, RepoError>;
    /// Makes the published events created in `[since, until)` due again.
    async fn replay(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<usize, RepoError>;
    /// Deletes, in small batches, the published events, the released claims
    /// and the idempotency keys from before `horizon`.
    async fn prune(&self, horizon: DateTime<Utc>) -> Result<Pruned, RepoError>;
}

impl PgStore {
    async fn prune_table(&self, sql: &'static str, horizon: DateTime<Utc>) -> Result<usize, RepoError> {
        let mut deleted = 0;
        loop {
            let batch = self
                .with_conn(async |conn| {
                    Statement::new(sql).timestamptz(horizon).bigint(PRUNE_BATCH).execute(conn).await
                })
                .await?;
            deleted += batch;
            if (batch as i64) < PRUNE_BATCH {
                return Ok(deleted);
            }
            tokio::task::yield_now().await;
        }
    }
}

#[async_trait::async_trait]
impl OutboxAdmin for PgStore {
    async fn status(&self) -> Result<OutboxStatus, RepoError> {
        self.with_conn(async |conn| {
            let (pending, oldest_pending) = certificate_outbox
                .filter(published_at.is_null().and(dead_at.is_null()))
                .select((count_star(), min(created_at)))
                .get_result::<(i64, Option<DateTime<Utc>>)>(conn)
                .await?;
            let dead = certificate_outbox.filter(dead_at.is_not_null()).count().get_result(conn).await?;
            Ok(OutboxStatus { pending, dead, oldest_pending })
        })
        .await
    }

    async fn retry_dead(&self) -> Result<usize, RepoError> {
        self.with_conn(async |conn| {
            diesel::update(certificate_outbox.filter(dead_at.is_not_null()))
                .set((dead_at.eq(None::<DateTime<Utc>>), attempts.eq(0), next_attempt_at.eq(now)))
                .execute(conn)
                .await
        })
        .await
    }

    async fn replay(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<usize, RepoError> {
        self.with_conn(async |conn| {
            diesel::update(
                certificate_outbox
                    .filter(published_at.is_not_null())
                    .filter(created_at.ge(since))
                    .filter(created_at.lt(until)),
            )
            .set((published_at.eq(None::<DateTime<Utc>>), attempts.eq(0), next_attempt_at.eq(now)))
            .execute(conn)
            .await
        })
        .await
    }

    async fn prune(&self, horizon: DateTime<Utc>) -> Result<Pruned, RepoError> {
        Ok(Pruned {
            events: self.prune_table(PRUNE_EVENTS, horizon).await?,
            claims: self.prune_table(PRUNE_CLAIMS, horizon).await?,
            idempotency_keys: self.prune_table(PRUNE_KEYS, horizon).await?,
        })
    }
}
