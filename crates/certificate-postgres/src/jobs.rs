//! The two statements of the hot path as group-commit jobs (see `batch`):
//! each job's columns, bound as arrays and `unnest`ed, and the row each job
//! gets back by its claim token.

use std::collections::HashMap;

use certificate_domain::{CertificateEvent, STATUS_VIEW_CERTIFICATE};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::batch::BatchJob;
use crate::db::Db;
use crate::error::DbError;
use crate::sql::{CLAIM, RECORD_ISSUED};
use crate::statement::Statement;

#[derive(QueryableByName)]
pub(crate) struct Taken {
    #[diesel(sql_type = SqlUuid)]
    pub(crate) claim_token: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub(crate) issuance_id: Uuid,
    #[diesel(sql_type = Bool)]
    pub(crate) outcome_unknown: bool,
}

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = SqlUuid)]
    claim_token: Uuid,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// One claim of a batch (see `CLAIM`).
pub(crate) struct ClaimJob {
    pub(crate) user_id: Uuid,
    pub(crate) course_id: String,
    pub(crate) token: Uuid,
    pub(crate) lease_secs: f64,
    pub(crate) reissue: bool,
    pub(crate) issuance_id: Uuid,
}

impl BatchJob for ClaimJob {
    type Outcome = Option<Taken>;

    fn row(&self) -> (Uuid, &str) {
        (self.user_id, &self.course_id)
    }

    fn run<'a>(db: &'a Db, jobs: &'a [Self]) -> BoxFuture<'a, Result<Vec<Option<Taken>>, DbError>> {
        Box::pin(async move {
            let users = column(jobs, |job| job.user_id);
            let courses = column(jobs, |job| job.course_id.as_str());
            let tokens = column(jobs, |job| job.token);
            let leases = column(jobs, |job| job.lease_secs);
            let reissues = column(jobs, |job| job.reissue);
            let issuance_ids = column(jobs, |job| job.issuance_id);
            let taken: Vec<Taken> = db
                .with_conn(async |conn| {
                    Statement::new(CLAIM)
                        .uuids(&users)
                        .texts(&courses)
                        .uuids(&tokens)
                        .doubles(&leases)
                        .booleans(&reissues)
                        .uuids(&issuance_ids)
                        .load(conn)
                        .await
                })
                .await?;
            Ok(by_token(&tokens, taken, |row| row.claim_token))
        })
    }
}

/// One record of a batch (see `RECORD_ISSUED`).
pub(crate) struct RecordJob {
    pub(crate) user_id: Uuid,
    pub(crate) course_id: String,
    pub(crate) token: Uuid,
    pub(crate) credential: String,
    pub(crate) certificate_id: String,
    pub(crate) issued_on: DateTime<Utc>,
    pub(crate) event: CertificateEvent,
    pub(crate) revoke: bool,
}

impl BatchJob for RecordJob {
    type Outcome = Option<i64>;

    fn row(&self) -> (Uuid, &str) {
        (self.user_id, &self.course_id)
    }

    fn run<'a>(db: &'a Db, jobs: &'a [Self]) -> BoxFuture<'a, Result<Vec<Option<i64>>, DbError>> {
        Box::pin(async move {
            let tokens = column(jobs, |job| job.token);
            let credentials = column(jobs, |job| job.credential.as_str());
            let certificate_ids = column(jobs, |job| job.certificate_id.as_str());
            let issued_on = column(jobs, |job| job.issued_on);
            let event_ids = column(jobs, |job| job.event.event_id);
            let keys = column(jobs, |job| job.event.key.as_str());
            let payloads = column(jobs, |job| job.event.payload.as_str());
            let created_at = column(jobs, |job| job.event.created_at);
            let due_at = column(jobs, |job| job.event.due_at);
            let revokes = column(jobs, |job| job.revoke);
            let recorded: Vec<Recorded> = db
                .with_conn(async |conn| {
                    Statement::new(RECORD_ISSUED)
                        .uuids(&tokens)
                        .texts(&credentials)
                        .texts(&certificate_ids)
                        .timestamps(&issued_on)
                        .uuids(&event_ids)
                        .texts(&keys)
                        .texts(&payloads)
                        .timestamps(&created_at)
                        .timestamps(&due_at)
                        .booleans(&revokes)
                        .text(STATUS_VIEW_CERTIFICATE)
                        .load(conn)
                        .await
                })
                .await?;
            let positions = by_token(&tokens, recorded, |row| row.claim_token);
            Ok(positions.into_iter().map(|row| row.map(|row| row.id)).collect())
        })
    }
}

/// One column of a batch's `unnest`: a field of every job, in the jobs' order.
fn column<'a, J, T>(jobs: &'a [J], field: impl Fn(&'a J) -> T) -> Vec<T> {
    jobs.iter().map(field).collect()
}

/// The row returned for each job's claim token, in the jobs' order.
fn by_token<R>(tokens: &[Uuid], rows: Vec<R>, token_of: impl Fn(&R) -> Uuid) -> Vec<Option<R>> {
    let mut rows: HashMap<Uuid, R> = rows.into_iter().map(|row| (token_of(&row), row)).collect();
    tokens.iter().map(|token| rows.remove(token)).collect()
}
