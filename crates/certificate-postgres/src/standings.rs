//! Certificates' standings on Postgres: `certificate_standing`, changed in
//! one statement with the status list bits, the event (outbox) and, for
//! Sunbird RC, the revocation queue.

use async_trait::async_trait;
use certificate_domain::ports::{CertificateStandings, StandingChange, StandingError};
use certificate_domain::StatusSlot;
use certificate_domain::{Standing, StandingRecord, StatusPurpose};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use crate::sql::{CHANGE_STANDING, REVOKE_ENTRY, SELECT_STANDING};
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct StandingRow {
    #[diesel(sql_type = Text)]
    standing: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Timestamptz)]
    changed_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct ChangedRow {
    #[diesel(sql_type = BigInt)]
    changes: i64,
}

/// The purposes whose bit is set, and those whose bit is cleared, for a
/// certificate that is now `standing`.
fn bits_of(standing: Standing) -> (Vec<&'static str>, Vec<&'static str>) {
    let set = |purpose: StatusPurpose| match purpose {
        StatusPurpose::Revocation => standing == Standing::Revoked,
        StatusPurpose::Suspension => standing == Standing::Suspended,
    };
    let (on, off): (Vec<_>, Vec<_>) = StatusPurpose::ALL.into_iter().partition(|purpose| set(*purpose));
    (on.into_iter().map(StatusPurpose::as_str).collect(), off.into_iter().map(StatusPurpose::as_str).collect())
}

#[async_trait]
impl CertificateStandings for PgStore {
    async fn standing(&self, certificate_id: &str) -> Result<StandingRecord, StandingError> {
        let select = async |conn: &mut _| Statement::new(SELECT_STANDING).text(certificate_id).load(conn).await;
        let rows: Vec<StandingRow> = self.db.with_conn(select).await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(StandingRecord::ACTIVE);
        };
        let standing = Standing::from_name(&row.standing).ok_or_else(|| {
            StandingError::Failed(certificate_domain::ports::cause_from(format!("unknown standing {}", row.standing)))
        })?;
        Ok(StandingRecord { standing, reason: Some(row.reason), changed_at: Some(row.changed_at) })
    }

    async fn change_standing(&self, change: StandingChange<'_>) -> Result<bool, StandingError> {
        let (set, cleared) = bits_of(change.to);
        // List 0 is no list: a credential without an entry changes no bit.
        let (list, index) = change.slot.map_or((0, 0), |slot| (i64::from(slot.list), i64::from(slot.index)));
        let event = change.event;
        let run = async |conn: &mut _| {
            Statement::new(CHANGE_STANDING)
                .text(change.certificate_id)
                .text(change.from.as_str())
                .text(change.to.as_str())
                .text(change.reason)
                .timestamptz(change.at)
                .bigint(list)
                .bigint(index)
                .texts(&set)
                .texts(&cleared)
                .boolean(change.queue_revocation)
                .uuid(event.event_id)
                .text(&event.key)
                .uuid(event.user_id)
                .text(&event.payload)
                .timestamptz(event.due_at)
                .load(conn)
                .await
        };
        let rows: Vec<ChangedRow> = self.db.with_conn(run).await?;
        Ok(rows.as_slice().first().is_some_and(|row| row.changes > 0))
    }

    async fn revoke_entry(&self, slot: StatusSlot) -> Result<(), StandingError> {
        let (list, index) = (i64::from(slot.list), i64::from(slot.index));
        let run = async |conn: &mut _| Statement::new(REVOKE_ENTRY).bigint(list).bigint(index).execute(conn).await;
        self.db.with_conn(run).await?;
        Ok(())
    }
}
