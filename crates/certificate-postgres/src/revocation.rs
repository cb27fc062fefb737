//! The revocation queue: superseded credentials waiting to be revoked at the
//! credential service. Taking a revocation pushes its due time forward by a
//! lease, so that other replicas leave it alone while it is being tried and
//! take it again if its taker dies.

use certificate_domain::ports::{PendingRevocation, RevocationQueue, RevocationQueueError};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use std::time::Duration;

use crate::sql::{FAILED, REVOKED, TAKE_DUE};
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    certificate_id: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

#[async_trait::async_trait]
impl RevocationQueue for PgStore {
    async fn take_due(&self, limit: usize, lease: Duration) -> Result<Vec<PendingRevocation>, RevocationQueueError> {
        let due: Vec<Due> = self
            .db
            .with_conn(async |conn| {
                Statement::new(TAKE_DUE).bigint(limit as i64).double(lease.as_secs_f64()).load(conn).await
            })
            .await?;
        Ok(due
            .into_iter()
            .map(|due| PendingRevocation {
                id: due.id,
                certificate_id: due.certificate_id,
                attempts: due.attempts.max(0) as u32,
            })
            .collect())
    }

    async fn revoked(&self, id: i64) -> Result<(), RevocationQueueError> {
        self.db.with_conn(async |conn| Statement::new(REVOKED).bigint(id).execute(conn).await).await?;
        Ok(())
    }

    async fn failed(&self, id: i64, error: &str, retry_at: DateTime<Utc>) -> Result<(), RevocationQueueError> {
        let failed = async |conn: &mut _| {
            Statement::new(FAILED).bigint(id).text(error).timestamptz(retry_at).execute(conn).await
        };
        self.db.with_conn(failed).await?;
        Ok(())
    }
}
