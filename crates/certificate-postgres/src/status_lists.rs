//! The status lists on Postgres: `status_list` (a row per list: its
//! permutation key, how many entries are reserved, its version) and
//! `status_list_bit` (a row per set bit).

use async_trait::async_trait;
use certificate_domain::ports::{cause_from, ReservedRange, StatusListError, StatusListStore, StoredBits};
use certificate_domain::{StatusListId, STATUS_LIST_SIZE};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::sql::{CREATE_STATUS_LIST, RESERVE_STATUS_ENTRIES, SELECT_STATUS_BITS, SELECT_STATUS_LIST_VERSION};
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct RangeRow {
    #[diesel(sql_type = BigInt)]
    list: i64,
    #[diesel(sql_type = BigInt)]
    permutation_key: i64,
    #[diesel(sql_type = BigInt)]
    first: i64,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct BitRow {
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = Timestamptz)]
    changed_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Integer>)]
    index: Option<i32>,
}

/// Reservations that lost the race to make the next list try again; this
/// many losses in a row is not a race.
const CREATE_ATTEMPTS: usize = 5;

impl PgStore {
    async fn reserve_once(&self, count: u32) -> Result<Option<RangeRow>, StatusListError> {
        let count = i64::from(count.max(1));
        let reserve = async |conn: &mut _| Statement::new(RESERVE_STATUS_ENTRIES).bigint(count).load(conn).await;
        let rows: Vec<RangeRow> = self.db.with_conn(reserve).await?;
        if let Some(row) = rows.into_iter().next() {
            return Ok(Some(row));
        }
        // A random key, never shown: it is what keeps the order of issuance hidden.
        let key = Uuid::new_v4().as_u64_pair().0 as i64;
        let create = async |conn: &mut _| {
            Statement::new(CREATE_STATUS_LIST)
                .bigint(key)
                .bigint(i64::from(STATUS_LIST_SIZE))
                .bigint(count.min(i64::from(STATUS_LIST_SIZE)))
                .load(conn)
                .await
        };
        let rows: Vec<RangeRow> = self.db.with_conn(create).await?;
        Ok(rows.into_iter().next())
    }
}

#[async_trait]
impl StatusListStore for PgStore {
    async fn reserve(&self, count: u32) -> Result<ReservedRange, StatusListError> {
        for _ in 0..CREATE_ATTEMPTS {
            if let Some(row) = self.reserve_once(count).await? {
                return Ok(ReservedRange {
                    list: row.list as u32,
                    key: row.permutation_key as u64,
                    first: row.first as u32,
                    count: row.count as u32,
                });
            }
        }
        Err(StatusListError::Failed(cause_from("no status list could be made after several tries")))
    }

    async fn version(&self, list: u32) -> Result<Option<i64>, StatusListError> {
        let select =
            async |conn: &mut _| Statement::new(SELECT_STATUS_LIST_VERSION).bigint(list.into()).load(conn).await;
        let rows: Vec<VersionRow> = self.db.with_conn(select).await?;
        Ok(rows.into_iter().next().map(|row| row.version))
    }

    async fn bits(&self, id: StatusListId) -> Result<Option<StoredBits>, StatusListError> {
        let select = async |conn: &mut _| {
            Statement::new(SELECT_STATUS_BITS).bigint(id.list.into()).text(id.purpose.as_str()).load(conn).await
        };
        let rows: Vec<BitRow> = self.db.with_conn(select).await?;
        let Some(first) = rows.as_slice().first() else {
            return Ok(None);
        };
        let (version, changed_at) = (first.version, first.changed_at);
        let set = rows.iter().filter_map(|row| row.index).map(|index| index as u32).collect();
        Ok(Some(StoredBits { version, changed_at, set }))
    }
}
