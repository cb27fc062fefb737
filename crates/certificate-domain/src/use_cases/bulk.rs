//! Bulk issuance: a cohort's issue requests as one durable job.
//!
//! Promises:
//! - every row is checked by the issue request's rules before anything
//!   starts; a job with a bad row is refused whole, naming each bad row and
//!   field; a job past `BULK_MAX_ROWS` rows is refused naming the limit;
//! - an accepted job is recorded with all its rows at once (or not at all),
//!   and every row is then issued by [`BulkRunner`](crate::jobs::BulkRunner)
//!   through the one issue use case, with its guarantees: one credential per
//!   learner and course, its row and event through the outbox; a row done
//!   before (this job's re-run, or another's) is "already issued";
//! - the report says each row's outcome and the job's counts, timing and rate;
//! - a cancelled job issues no row it had not started: its pending rows are
//!   cancelled at once; a row being issued at that moment finishes, and the
//!   report says what became of it.

use std::sync::Arc;

use uuid::Uuid;

use crate::model::{FieldError, IssueRequest, JobRow, JobSummary, NewRow, RequestFields};
use crate::ports::{Clock, JobStore, JobStoreError, Observer, Randomness};

/// One bad field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The first data row is 1.
    pub row: u32,
    pub error: FieldError,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BulkError {
    #[error("{} rows break a rule", .0.len())]
    Invalid(Vec<RowError>),
    #[error("a job has no rows")]
    Empty,
    #[error("a job has at most {0} rows")]
    TooManyRows(usize),
    #[error("no job is known under this id")]
    NotFound,
    #[error(transparent)]
    Store(#[from] JobStoreError),
}

pub struct BulkIssuance {
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Randomness>,
    observer: Arc<dyn Observer>,
    max_rows: usize,
}

impl BulkIssuance {
    pub fn new(
        store: Arc<dyn JobStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Randomness>,
        observer: Arc<dyn Observer>,
        max_rows: usize,
    ) -> Self {
        Self { store, clock, ids, observer, max_rows }
    }

    pub fn max_rows(&self) -> usize {
        self.max_rows
    }

    /// Checks every row, then records the job; answers its id.
    pub async fn submit(&self, rows: Vec<RequestFields>) -> Result<Uuid, BulkError> {
        if rows.is_empty() {
            return Err(BulkError::Empty);
        }
        if rows.len() > self.max_rows {
            return Err(BulkError::TooManyRows(self.max_rows));
        }
        let mut checked = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        for (number, fields) in (1..).zip(rows) {
            match IssueRequest::parse(fields) {
                Ok(request) => checked.push(NewRow {
                    number,
                    user_id: request.user_id(),
                    course_id: request.course_id().to_owned(),
                    request: serde_json::to_string(&request).expect("a request serialises"),
                }),
                Err(invalid) => errors.extend(invalid.0.into_iter().map(|error| RowError { row: number, error })),
            }
        }
        if !errors.is_empty() {
            return Err(BulkError::Invalid(errors));
        }
        let job_id = self.ids.new_id();
        self.store.create_job(job_id, self.clock.now(), &checked).await?;
        tracing::info!(%job_id, rows = checked.len(), "bulk job accepted");
        self.observer.bulk_job_accepted(checked.len());
        Ok(job_id)
    }

    pub async fn summary(&self, job_id: Uuid) -> Result<JobSummary, BulkError> {
        self.store.summary(job_id).await?.ok_or(BulkError::NotFound)
    }

    /// Cancels what the job has not started; answers the job as it is then.
    pub async fn cancel(&self, job_id: Uuid) -> Result<JobSummary, BulkError> {
        let cancelled = self.store.cancel_job(job_id, self.clock.now()).await?.ok_or(BulkError::NotFound)?;
        tracing::info!(%job_id, cancelled, "bulk job cancelled");
        self.summary(job_id).await
    }

    /// The job and each row's outcome.
    pub async fn report(&self, job_id: Uuid) -> Result<(JobSummary, Vec<JobRow>), BulkError> {
        let summary = self.summary(job_id).await?;
        Ok((summary, self.store.rows(job_id).await?))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
