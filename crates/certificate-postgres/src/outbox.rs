//! The outbox as the relay sees it. Undelivered events are the rows of the
//! narrow queue `certificate_outbox_pending`; the outbox row with the payload
//! is written once, when the issuance commits, and left alone afterwards
//! unless the event goes to dead-letter.
//!
//! A delivery batch is one transaction: its queue rows are locked `FOR UPDATE
//! SKIP LOCKED` while the relay publishes them, so other relays (replicas)
//! pass them by, and the only write is the outcome just before the commit:
//! published events leave the queue, failed ones get their retry time. A
//! relay that dies mid-batch loses its connection, which rolls back and
//! unlocks.
//!
//! An event may go out only while it is the oldest queued event of its
//! certificate (user and key). That is written as `id = min(id)` over the
//! certificate's queued rows, which the planner answers from the
//! (user_id, message_key, id) index even when the table's statistics are
//! stale (a NOT EXISTS form degraded to a 16 s scan on a fresh 100,000-event
//! backlog). Events of other learners of the same key are not held back.

use std::collections::HashSet;

use async_trait::async_trait;
use certificate_domain::ports::{
    DeliverBatch, Delivery, EventOutbox, FailedDelivery, OutboxError, PendingEvent, Selection,
};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::error::DbError;
use crate::statement::Statement;
use crate::transaction::Transaction;
use crate::PgStore;

const HOLD_DUE: &str = r#"
SELECT p.id, o.event_id, p.user_id, p.message_key, o.payload, p.attempts, p.created_at
  FROM certificate_outbox_pending p JOIN certificate_outbox o ON o.id = p.id
 WHERE p.next_attempt_at <= now()
   AND p.id = (
       SELECT min(older.id) FROM certificate_outbox_pending older
        WHERE older.user_id = p.user_id AND older.message_key = p.message_key)
 ORDER BY p.id
 LIMIT $1
   FOR UPDATE OF p SKIP LOCKED"#;

/// The handed-over events that nobody published or holds meanwhile.
const HOLD_HANDED: &str = r#"
SELECT p.id
  FROM certificate_outbox_pending p
 WHERE p.id = ANY($1)
   AND p.id = (
       SELECT min(older.id) FROM certificate_outbox_pending older
        WHERE older.user_id = p.user_id AND older.message_key = p.message_key)
   FOR UPDATE SKIP LOCKED"#;

const MARK_PUBLISHED: &str = r#"
DELETE FROM certificate_outbox_pending WHERE id = ANY($1)"#;

/// A failure with a retry time stays queued until then; one without goes to
/// dead-letter: out of the queue, marked dead on the outbox row.
const MARK_FAILED: &str = r#"
WITH failure AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS f(id, error, retry_at)
), retried AS (
    UPDATE certificate_outbox_pending p
       SET attempts = p.attempts + 1, last_error = failure.error, next_attempt_at = failure.retry_at
      FROM failure WHERE p.id = failure.id AND failure.retry_at IS NOT NULL
), dead AS (
    DELETE FROM certificate_outbox_pending p
     USING failure WHERE p.id = failure.id AND failure.retry_at IS NULL
 RETURNING p.id, p.attempts + 1 AS attempts, failure.error
)
UPDATE certificate_outbox o
   SET dead_at = now(), attempts = dead.attempts, last_error = dead.error
  FROM dead WHERE o.id = dead.id"#;

/// Opens a delivery batch. A backlog that appears at once (events piled up
/// during a broker outage, or restored) leaves the queue's statistics wrong by
/// orders of magnitude until the next ANALYZE, and the planner then filters
/// every queued row before sorting (seen: 1.7 s per batch on a fresh
/// 300,000-event backlog). Whatever the statistics, the right plan walks the
/// queue's primary key in order and stops after one batch, so this
/// transaction's planner is told not to scan or sort.
///
/// Its commit does not wait for the WAL to reach the disk: what a database
/// crash can lose of it is a dequeue (the event goes out again, with the same
/// `eventId`, which at-least-once delivery allows) or a retry time (it comes
/// sooner); the commit wait was a tenth of each batch's time.
const BEGIN_BATCH: &str =
    "BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL synchronous_commit = off";

impl PgStore {
    /// Locks the selected events that may go out now, oldest first.
    async fn hold(&self, tx: &mut Transaction, selection: Selection<'_>) -> Result<Vec<PendingEvent>, DbError> {
        match selection {
            Selection::Due { limit } => {
                let rows: Vec<DueRow> =
                    tx.run(self, async |conn| Statement::new(HOLD_DUE).bigint(limit as i64).load(conn).await).await?;
                Ok(rows.into_iter().map(PendingEvent::from).collect())
            }
            Selection::Handed(events) => {
                let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
                let held: Vec<HeldId> =
                    tx.run(self, async |conn| Statement::new(HOLD_HANDED).bigints(&ids).load(conn).await).await?;
                let held: HashSet<i64> = held.into_iter().map(|row| row.id).collect();
                let mut held: Vec<PendingEvent> =
                    events.iter().filter(|event| held.contains(&event.id)).cloned().collect();
                held.sort_unstable_by_key(|event| event.id);
                Ok(held)
            }
        }
    }

    async fn record(&self, tx: &mut Transaction, outcomes: &[Delivery]) -> Result<(), DbError> {
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
    ) -> Result<Vec<Delivery>, OutboxError> {
        let mut tx = Transaction::begin(self, BEGIN_BATCH).await?;
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
