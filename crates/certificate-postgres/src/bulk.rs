//! Bulk jobs on Postgres: `bulk_job` and `bulk_row`. A job is written with
//! all its rows in one statement; runners on any replica take pending rows
//! with `FOR UPDATE SKIP LOCKED` under a lease, so that two never take the
//! same row and a dead runner's rows are taken again once their lease ran out.

use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::model::{FinishedRow, JobCounts, JobRow, JobSummary, NewRow, RowOutcome, TakenRow};
use certificate_domain::ports::{JobStore, JobStoreError};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::sql::{
    BULK_JOB_ROWS, BULK_JOB_SUMMARY, CANCEL_BULK_JOB, CREATE_BULK_JOB, FINISH_BULK_ROWS, REMOVE_FINISHED_BULK_JOBS,
    RETRY_BULK_ROW, TAKE_BULK_ROWS,
};
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    issued: i64,
    #[diesel(sql_type = BigInt)]
    already_issued: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_done: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct OutcomeRow {
    #[diesel(sql_type = BigInt)]
    number: i64,
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    course_id: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Text)]
    certificate_id: String,
    #[diesel(sql_type = Text)]
    error: String,
}

#[derive(QueryableByName)]
struct CancelledRows {
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
}

#[derive(QueryableByName)]
struct LeasedRow {
    #[diesel(sql_type = SqlUuid)]
    job_id: Uuid,
    #[diesel(sql_type = BigInt)]
    number: i64,
    #[diesel(sql_type = Text)]
    request: String,
    #[diesel(sql_type = BigInt)]
    attempts: i64,
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// A row's outcome from its state and columns.
fn outcome(state: &str, certificate_id: String, error: String) -> RowOutcome {
    match state {
        "issued" => RowOutcome::Issued { certificate_id },
        "already_issued" => RowOutcome::AlreadyIssued { certificate_id },
        "failed" => RowOutcome::Failed { error },
        "cancelled" => RowOutcome::Cancelled,
        _ => RowOutcome::Pending,
    }
}

#[async_trait]
impl JobStore for PgStore {
    async fn create_job(&self, job_id: Uuid, created_at: DateTime<Utc>, rows: &[NewRow]) -> Result<(), JobStoreError> {
        let numbers: Vec<i64> = rows.iter().map(|row| i64::from(row.number)).collect();
        let users: Vec<Uuid> = rows.iter().map(|row| row.user_id).collect();
        let courses: Vec<&str> = rows.iter().map(|row| row.course_id.as_str()).collect();
        let requests: Vec<&str> = rows.iter().map(|row| row.request.as_str()).collect();
        let run = async |conn: &mut _| {
            Statement::new(CREATE_BULK_JOB)
                .uuid(job_id)
                .timestamptz(created_at)
                .bigints(&numbers)
                .uuids(&users)
                .texts(&courses)
                .texts(&requests)
                .execute(conn)
                .await
        };
        self.db.with_conn(run).await?;
        Ok(())
    }

    async fn summary(&self, job_id: Uuid) -> Result<Option<JobSummary>, JobStoreError> {
        let select = async |conn: &mut _| Statement::new(BULK_JOB_SUMMARY).uuid(job_id).load(conn).await;
        let rows: Vec<SummaryRow> = self.db.with_conn(select).await?;
        Ok(rows.into_iter().next().map(|row| {
            let counts = JobCounts {
                pending: count(row.pending),
                issued: count(row.issued),
                already_issued: count(row.already_issued),
                failed: count(row.failed),
                cancelled: count(row.cancelled),
            };
            let finished_at = row.last_done.filter(|_| counts.pending == 0);
            JobSummary { id: job_id, created_at: row.created_at, finished_at, counts }
        }))
    }

    async fn rows(&self, job_id: Uuid) -> Result<Vec<JobRow>, JobStoreError> {
        let select = async |conn: &mut _| Statement::new(BULK_JOB_ROWS).uuid(job_id).load(conn).await;
        let rows: Vec<OutcomeRow> = self.db.with_conn(select).await?;
        Ok(rows
            .into_iter()
            .map(|row| JobRow {
                number: u32::try_from(row.number).unwrap_or_default(),
                user_id: row.user_id,
                course_id: row.course_id,
                outcome: outcome(&row.state, row.certificate_id, row.error),
            })
            .collect())
    }

    async fn take_rows(
        &self,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<TakenRow>, JobStoreError> {
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let run = async |conn: &mut _| {
            Statement::new(TAKE_BULK_ROWS)
                .timestamptz(now)
                .timestamptz(until)
                .bigint(i64::try_from(limit).unwrap_or(i64::MAX))
                .load(conn)
                .await
        };
        let rows: Vec<LeasedRow> = self.db.with_conn(run).await?;
        let mut taken: Vec<TakenRow> = rows
            .into_iter()
            .map(|row| TakenRow {
                job_id: row.job_id,
                number: u32::try_from(row.number).unwrap_or_default(),
                request: row.request,
                attempts: u32::try_from(row.attempts).unwrap_or_default(),
            })
            .collect();
        taken.sort_by_key(|row| (row.job_id, row.number));
        Ok(taken)
    }

    async fn finish_rows(&self, rows: &[FinishedRow], now: DateTime<Utc>) -> Result<(), JobStoreError> {
        let jobs: Vec<Uuid> = rows.iter().map(|row| row.job_id).collect();
        let numbers: Vec<i64> = rows.iter().map(|row| i64::from(row.number)).collect();
        let states: Vec<&str> = rows.iter().map(|row| row.outcome.as_str()).collect();
        let (certificates, errors): (Vec<&str>, Vec<&str>) = rows
            .iter()
            .map(|row| match &row.outcome {
                RowOutcome::Issued { certificate_id } | RowOutcome::AlreadyIssued { certificate_id } => {
                    (certificate_id.as_str(), "")
                }
                RowOutcome::Failed { error } => ("", error.as_str()),
                RowOutcome::Pending | RowOutcome::Cancelled => ("", ""),
            })
            .unzip();
        let run = async |conn: &mut _| {
            Statement::new(FINISH_BULK_ROWS)
                .uuids(&jobs)
                .bigints(&numbers)
                .texts(&states)
                .texts(&certificates)
                .texts(&errors)
                .timestamptz(now)
                .execute(conn)
                .await
        };
        self.db.with_conn(run).await?;
        Ok(())
    }

    async fn cancel_job(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Option<u64>, JobStoreError> {
        let run = async |conn: &mut _| Statement::new(CANCEL_BULK_JOB).uuid(job_id).timestamptz(now).load(conn).await;
        let rows: Vec<CancelledRows> = self.db.with_conn(run).await?;
        Ok(rows.into_iter().next().map(|row| count(row.cancelled)))
    }

    async fn remove_finished(&self, before: DateTime<Utc>) -> Result<u64, JobStoreError> {
        let run =
            async |conn: &mut _| Statement::new(REMOVE_FINISHED_BULK_JOBS).timestamptz(before).execute(conn).await;
        Ok(self.db.with_conn(run).await? as u64)
    }

    async fn retry_row(&self, job_id: Uuid, number: u32, due: DateTime<Utc>) -> Result<(), JobStoreError> {
        let run = async |conn: &mut _| {
            Statement::new(RETRY_BULK_ROW).uuid(job_id).bigint(i64::from(number)).timestamptz(due).execute(conn).await
        };
        self.db.with_conn(run).await?;
        Ok(())
    }
}
