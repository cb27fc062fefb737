//! Operator commands on the outbox: status, retry of dead events, and replay of
//! a time window. Replay and retry make the events due again with their
//! original event ids; the running relay then publishes them.

use certificate_domain::ports::RepoError;
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, min, now};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::certificate_outbox::dsl::*;
use crate::PgStore;

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
}
