//! Operator commands on the outbox: status, retry of dead events, replay of
//! a time window, and pruning past the retention. Retry and replay queue the
//! events again with their original event ids; the running relay then
//! publishes them. A queued event's age (its publish lag, the age of the
//! oldest pending event) counts from when it was queued again, so that an
//! operator's replay of last week does not read as a week of lag.

use certificate_domain::ports::{AdminError, OutboxAdmin, OutboxStatus, Pruned};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use crate::error::DbError;
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    dead: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    oldest_pending: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    revocations_pending: i64,
}

const STATUS: &str = r#"
SELECT (SELECT count(*) FROM certificate_outbox_pending) AS pending,
       (SELECT count(*) FROM certificate_outbox WHERE dead_at IS NOT NULL) AS dead,
       (SELECT min(created_at) FROM certificate_outbox_pending) AS oldest_pending,
       (SELECT count(*) FROM certificate_revocation WHERE revoked_at IS NULL) AS revocations_pending"#;

const RETRY_DEAD: &str = r#"
WITH revived AS (
    UPDATE certificate_outbox SET dead_at = NULL, attempts = 0, last_error = NULL
     WHERE dead_at IS NOT NULL
 RETURNING id, user_id, message_key, created_at
)
INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
SELECT id, user_id, message_key, now(), now() FROM revived"#;

/// The published events of the window: neither queued nor dead. The outbox
/// rows are share-locked so that a prune running at the same time cannot
/// delete a row this queues again.
const REPLAY: &str = r#"
INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
SELECT o.id, o.user_id, o.message_key, now(), now()
  FROM certificate_outbox o
 WHERE o.created_at >= $1 AND o.created_at < $2 AND o.dead_at IS NULL
 ORDER BY o.id
   FOR KEY SHARE OF o
ON CONFLICT (id) DO NOTHING"#;

/// Published events only: queued and dead ones are never pruned.
const PRUNE_EVENTS: &str = r#"
DELETE FROM certificate_outbox WHERE id IN (
    SELECT o.id FROM certificate_outbox o
     WHERE o.created_at < $1 AND o.dead_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM certificate_outbox_pending p WHERE p.id = o.id)
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

impl PgStore {
    async fn prune_table(&self, sql: &'static str, horizon: DateTime<Utc>) -> Result<usize, DbError> {
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

impl PgStore {
    /// What waits in the outbox: for the operator, and for the gauges.
    pub(crate) async fn outbox_status(&self) -> Result<OutboxStatus, DbError> {
        let status: Status = self.with_conn(async |conn| Statement::new(STATUS).get_result(conn).await).await?;
        Ok(OutboxStatus {
            pending: status.pending,
            dead: status.dead,
            oldest_pending: status.oldest_pending,
            revocations_pending: status.revocations_pending,
        })
    }
}

#[async_trait::async_trait]
impl OutboxAdmin for PgStore {
    async fn status(&self) -> Result<OutboxStatus, AdminError> {
        Ok(self.outbox_status().await?)
    }

    async fn retry_dead(&self) -> Result<usize, AdminError> {
        Ok(self.with_conn(async |conn| Statement::new(RETRY_DEAD).execute(conn).await).await?)
    }

    async fn replay(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<usize, AdminError> {
        let replay =
            async |conn: &mut _| Statement::new(REPLAY).timestamptz(since).timestamptz(until).execute(conn).await;
        Ok(self.with_conn(replay).await?)
    }

    async fn prune(&self, horizon: DateTime<Utc>) -> Result<Pruned, AdminError> {
        Ok(Pruned {
            events: self.prune_table(PRUNE_EVENTS, horizon).await?,
            claims: self.prune_table(PRUNE_CLAIMS, horizon).await?,
            idempotency_keys: self.prune_table(PRUNE_KEYS, horizon).await?,
        })
    }
}
