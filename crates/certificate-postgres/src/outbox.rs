//! The outbox as the relay sees it. A delivery batch is one transaction: its
//! rows are locked `FOR UPDATE SKIP LOCKED` while the relay publishes them,
//! so other relays (replicas) pass them by, and the only write is the
//! outcome (`published_at`, or the failure) just before the commit. A relay
//! that dies mid-batch loses its connection, which rolls back and unlocks.
//!
//! An event may go out only while it is the oldest undelivered event of its
//! certificate (user and key). That is written as `id = min(id)` over the
//! certificate's undelivered rows, which the planner answers from the
//! (user_id, message_key, id) index even when the table's statistics are
//! stale (a NOT EXISTS form degraded to a 16 s scan on a fresh 100,000-event
//! backlog). Events of other learners of the same key are not held back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use certificate_domain::ports::{
    DeliverBatch, Delivery, EventOutbox, FailedDelivery, PendingEvent, RepoError, Selection,
};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::statement::Statement;
use crate::transaction::Transaction;
use crate::PgStore;

const HOLD_DUE: &str = r#"
SELECT c.id, c.event_id, c.user_id, c.message_key, c.payload, c.attempts, c.created_at
  FROM certificate_outbox c
 WHERE c.published_at IS NULL AND c.dead_at IS NULL
   AND c.next_attempt_at <= now()
   AND c.id = (
       SELECT min(older.id) FROM certificate_outbox older
        WHERE older.user_id = c.user_id AND older.message_key = c.message_key
          AND older.published_at IS NULL AND older.dead_at IS NULL)
 ORDER BY c.id
 LIMIT $1
   FOR UPDATE SKIP LOCKED"#;

/// The handed-over events that nobody published or holds meanwhile.
const HOLD_HANDED: &str = r#"
SELECT c.id
  FROM certificate_outbox c
 WHERE c.id = ANY($1)
   AND c.published_at IS NULL AND c.dead_at IS NULL
   AND c.id = (
       SELECT min(older.id) FROM certificate_outbox older
        WHERE older.user_id = c.user_id AND older.message_key = c.message_key
          AND older.published_at IS NULL AND older.dead_at IS NULL)
   FOR UPDATE SKIP LOCKED"#;

/// The wall-clock time of the acknowledgement, not the transaction's start.
const MARK_PUBLISHED: &str = r#"
UPDATE certificate_outbox SET published_at = clock_timestamp() WHERE id = ANY($1)"#;

/// A failure without a retry time goes to dead-letter.
const MARK_FAILED: &str = r#"
UPDATE certificate_outbox o
   SET attempts = o.attempts + 1, last_error = f.error,
       next_attempt_at = COALESCE(f.retry_at, o.next_attempt_at),
       dead_at = CASE WHEN f.retry_at IS NULL THEN now() END
  FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS f(id, error, retry_at)
 WHERE o.id = f.id"#;

/// A backlog that appears at once (events piled up during a broker outage,
/// or restored) leaves the planner with statistics that say the undelivered
/// index is nearly empty; it then walks that whole index for every candidate.
/// When a batch of due events comes back full, the outbox's statistics are
/// refreshed (in the background, at most once a minute), well before
/// autovacuum would.
#[derive(Clone, Default)]
pub(crate) struct StatisticsRefresh(Arc<Mutex<Option<Instant>>>);

const STATISTICS_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

impl StatisticsRefresh {
    fn due(&self) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= STATISTICS_REFRESH_INTERVAL);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

impl PgStore {
    fn refresh_statistics_in_background(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            let analyzed =
                store.with_conn(async |conn| Statement::new("ANALYZE certificate_outbox").execute(conn).await).await;
            if let Err(error) = analyzed {
                tracing::warn!(%error, "cannot refresh the outbox's planner statistics");
            }
        });
    }

    /// Locks the selected events that may go out now, oldest first.
    async fn hold(&self, tx: &mut Transaction, selection: Selection<'_>) -> Result<Vec<PendingEvent>, RepoError> {
        match selection {
            Selection::Due { limit } => {
                let rows: Vec<DueRow> =
                    tx.run(self, async |conn| Statement::new(HOLD_DUE).bigint(limit as i64).load(conn).await).await?;
                if rows.len() == limit && self.statistics.due() {
                    self.refresh_statistics_in_background();
                }
                Ok(rows.into_iter().map(PendingEvent::from).collect())
            }
            Selection::Handed(events) => {
                let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
                let held: Vec<HeldId> =
                    tx.run(self, async |conn| Statement::new(HOLD_HANDED).bigints(&ids).load(conn).await).await?;
                let mut held: Vec<PendingEvent> =
                    events.iter().filter(|event| held.iter().any(|row| row.id == event.id)).cloned().collect();
                held.sort_unstable_by_key(|event| event.id);
                Ok(held)
            }
        }
    }

    async fn record(&self, tx: &mut Transaction, outcomes: &[Delivery]) -> Result<(), RepoError> {
        let mut published = Vec::new();
        let mut failures: Vec<&FailedDelivery> = Vec::new();
        for outcome in outcomes {
            match outcome {
                Delivery::Published { id } => published.push(*id),
                Delivery::Failed(failure) => failures.push(failure),
            }
        }
        if !published.is_empty() {
            tx.run(self, async |conn| Statement::new(MARK_PUBLISHED).bigints(&published).execute(conn).await).await?;
        }
        if !failures.is_empty() {
            let ids: Vec<i64> = failures.iter().map(|f| f.id).collect();
            let errors: Vec<&str> = failures.iter().map(|f| f.error.as_str()).collect();
            let retry_at: Vec<_> = failures.iter().map(|f| f.retry_at).collect();
            tx.run(self, async |conn| {
                Statement::new(MARK_FAILED)
                    .bigints(&ids)
                    .texts(&errors)
                    .optional_timestamps(&retry_at)
                    .execute(conn)
                    .await
            })
            .await?;
        }
        Ok(())
    }
}

#[derive(QueryableByName)]
struct DueRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    message_key: String,
    #[diesel(sql_type = Text)]
    payload: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct HeldId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl From<DueRow> for PendingEvent {
    fn from(row: DueRow) -> Self {
        PendingEvent {
            id: row.id,
            event_id: row.event_id,
            user_id: row.user_id,
            key: row.message_key,
            payload: row.payload,
            recorded_at: row.created_at,
            attempts: row.attempts.max(0) as u32,
        }
    }
}

#[async_trait]
impl EventOutbox for PgStore {
    async fn deliver(
        &self,
        selection: Selection<'_>,
        deliverer: &dyn DeliverBatch,
    ) -> Result<Vec<Delivery>, RepoError> {
        let mut tx = Transaction::begin(self).await?;
        let held = self.hold(&mut tx, selection).await?;
        if held.is_empty() {
            tx.commit(self).await?;
            return Ok(Vec::new());
        }
        let outcomes = deliverer.deliver(&held).await;
        self.record(&mut tx, &outcomes).await?;
        tx.commit(self).await?;
        Ok(outcomes)
    }
}
