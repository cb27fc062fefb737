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
use crate::sql::{PRUNE_CLAIMS, PRUNE_EVENTS, PRUNE_KEYS, REPLAY, RETRY_DEAD, STATUS};
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

/// Rows deleted per statement, so that pruning never holds many locks or
/// writes a large transaction beside live traffic.
const PRUNE_BATCH: i64 = 1000;

impl PgStore {
    async fn prune_table(&self, sql: &'static str, horizon: DateTime<Utc>) -> Result<usize, DbError> {
        let mut deleted = 0;
        loop {
            let batch = self
                .db
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
        let status: Status = self.db.with_conn(async |conn| Statement::new(STATUS).get_result(conn).await).await?;
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
        Ok(self.db.with_conn(async |conn| Statement::new(RETRY_DEAD).execute(conn).await).await?)
    }

    async fn replay(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<usize, AdminError> {
        let replay =
            async |conn: &mut _| Statement::new(REPLAY).timestamptz(since).timestamptz(until).execute(conn).await;
        Ok(self.db.with_conn(replay).await?)
    }

    async fn prune(&self, horizon: DateTime<Utc>) -> Result<Pruned, AdminError> {
        Ok(Pruned {
            events: self.prune_table(PRUNE_EVENTS, horizon).await?,
            claims: self.prune_table(PRUNE_CLAIMS, horizon).await?,
            idempotency_keys: self.prune_table(PRUNE_KEYS, horizon).await?,
            wallet_rows: 0,
            bulk_jobs: 0,
        })
    }
}
