//! The outbox as the relay sees it. Several relays (replicas) may lease at
//! once: `FOR UPDATE SKIP LOCKED` keeps them off each other's rows, and an
//! event is only due when it is the oldest undelivered event of its key, so
//! each key is delivered in order whichever relay holds it. That condition is
//! written as `id = min(id)` for the key, which the planner answers from the
//! (message_key, id) index even when the table's statistics are stale (a
//! NOT EXISTS form degraded to a 16 s scan on a fresh 100,000-event backlog).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use certificate_domain::ports::{EventOutbox, FailedDelivery, PendingEvent, RepoError};
use diesel::sql_types::{BigInt, Integer, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::statement::Statement;
use crate::PgStore;

const LEASE_DUE: &str = r#"
WITH due AS (
    SELECT c.id FROM certificate_outbox c
     WHERE c.published_at IS NULL AND c.dead_at IS NULL
       AND c.next_attempt_at <= now()
       AND (c.leased_until IS NULL OR c.leased_until < now())
       AND c.id = (
           SELECT min(older.id) FROM certificate_outbox older
            WHERE older.message_key = c.message_key
              AND older.published_at IS NULL AND older.dead_at IS NULL)
     ORDER BY c.id
     LIMIT $1
       FOR UPDATE SKIP LOCKED
)
UPDATE certificate_outbox o
   SET leased_until = now() + make_interval(secs => $2)
  FROM due WHERE o.id = due.id
RETURNING o.id, o.event_id, o.user_id, o.message_key, o.payload, o.attempts"#;

const MARK_PUBLISHED: &str = r#"
UPDATE certificate_outbox SET published_at = now(), leased_until = NULL WHERE id = ANY($1)"#;

/// A failure without a retry time goes to dead-letter.
const MARK_FAILED: &str = r#"
UPDATE certificate_outbox o
   SET attempts = o.attempts + 1, last_error = f.error, leased_until = NULL,
       next_attempt_at = COALESCE(f.retry_at, o.next_attempt_at),
       dead_at = CASE WHEN f.retry_at IS NULL THEN now() END
  FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS f(id, error, retry_at)
 WHERE o.id = f.id"#;

/// A backlog that appears at once (events piled up during a broker outage,
/// or restored) leaves the planner with statistics that say the undelivered
/// index is nearly empty; it then walks that whole index for every candidate.
/// When a lease comes back full, the outbox's statistics are refreshed (in
/// the background, at most once a minute), well before autovacuum would.
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
}

#[derive(QueryableByName)]
struct LeasedRow {
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
}

impl From<LeasedRow> for PendingEvent {
    fn from(row: LeasedRow) -> Self {
        PendingEvent {
            id: row.id,
            event_id: row.event_id,
            user_id: row.user_id,
            key: row.message_key,
            payload: row.payload,
            attempts: row.attempts.max(0) as u32,
        }
    }
}

#[async_trait]
impl EventOutbox for PgStore {
    async fn lease_due(&self, limit: usize, lease: Duration) -> Result<Vec<PendingEvent>, RepoError> {
        let mut rows: Vec<LeasedRow> = self
            .with_conn(async |conn| {
                Statement::new(LEASE_DUE).bigint(limit as i64).double(lease.as_secs_f64()).load(conn).await
            })
            .await?;
        if rows.len() == limit && self.statistics.due() {
            self.refresh_statistics_in_background();
        }
        rows.sort_unstable_by_key(|row| row.id);
        Ok(rows.into_iter().map(PendingEvent::from).collect())
    }

    async fn mark_published(&self, ids: &[i64]) -> Result<(), RepoError> {
        self.with_conn(async |conn| Statement::new(MARK_PUBLISHED).bigints(ids).execute(conn).await).await.map(drop)
    }

    async fn mark_failed(&self, failures: &[FailedDelivery]) -> Result<(), RepoError> {
        let ids: Vec<i64> = failures.iter().map(|f| f.id).collect();
        let errors: Vec<&str> = failures.iter().map(|f| f.error.as_str()).collect();
        let retry_at: Vec<_> = failures.iter().map(|f| f.retry_at).collect();
        self.with_conn(async |conn| {
            Statement::new(MARK_FAILED).bigints(&ids).texts(&errors).optional_timestamps(&retry_at).execute(conn).await
        })
        .await
        .map(drop)
    }
}
