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
use crate::sql::{BEGIN_BATCH, HOLD_DUE, HOLD_HANDED, MARK_FAILED, MARK_PUBLISHED};
use crate::statement::Statement;
use crate::transaction::Transaction;
use crate::PgStore;

impl PgStore {
    /// Locks the selected events that may go out now, oldest first.
    async fn hold(&self, tx: &mut Transaction, selection: Selection<'_>) -> Result<Vec<PendingEvent>, DbError> {
        match selection {
            Selection::Due { limit } => {
                let rows: Vec<DueRow> = tx
                    .run(&self.db, async |conn| Statement::new(HOLD_DUE).bigint(limit as i64).load(conn).await)
                    .await?;
                Ok(rows.into_iter().map(PendingEvent::from).collect())
            }
            Selection::Handed(events) => {
                let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
                let held: Vec<HeldId> =
                    tx.run(&self.db, async |conn| Statement::new(HOLD_HANDED).bigints(&ids).load(conn).await).await?;
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
            tx.run(&self.db, async |conn| Statement::new(MARK_PUBLISHED).bigints(&published).execute(conn).await)
                .await?;
        }
        if !failures.is_empty() {
            let ids: Vec<i64> = failures.iter().map(|f| f.id).collect();
            let errors: Vec<&str> = failures.iter().map(|f| f.error.as_str()).collect();
            let retry_at: Vec<_> = failures.iter().map(|f| f.retry_at).collect();
            tx.run(&self.db, async |conn| {
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
        let mut tx = Transaction::begin(&self.db, BEGIN_BATCH).await?;
        let held = self.hold(&mut tx, selection).await?;
        if held.is_empty() {
            tx.commit(&self.db).await?;
            return Ok(Vec::new());
        }
        let outcomes = deliverer.deliver(&held).await;
        self.record(&mut tx, &outcomes).await?;
        tx.commit(&self.db).await?;
        Ok(outcomes)
    }
}
