//! `JobStore`: bulk jobs and their rows. A row is taken under a lease, so
//! that a runner that dies leaves its rows to another (or to itself after a
//! restart) once the lease runs out; what is done is never taken again.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{FinishedRow, JobRow, JobSummary, NewRow, TakenRow};

store_error!(
    /// The job store could not be read or written.
    JobStoreError,
    "job store"
);

#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Records the job and all its rows, pending, or nothing.
    async fn create_job(&self, job_id: Uuid, created_at: DateTime<Utc>, rows: &[NewRow]) -> Result<(), JobStoreError>;
    async fn summary(&self, job_id: Uuid) -> Result<Option<JobSummary>, JobStoreError>;
    /// Its rows in order, with what became of each.
    async fn rows(&self, job_id: Uuid) -> Result<Vec<JobRow>, JobStoreError>;
    /// Takes up to `limit` pending rows that are due at `now` and that no
    /// lease holds, each for `lease`, oldest jobs first; counts an attempt
    /// for each.
    async fn take_rows(
        &self,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<TakenRow>, JobStoreError>;
    /// Records what became of taken rows, at `now`, in one write (a round's
    /// rows at once: one commit, not one a row); a row done before keeps
    /// its outcome, except that a cancelled row a runner was issuing when
    /// the job was cancelled takes what it became if a certificate came of
    /// it (issued, already issued): the report says what happened.
    async fn finish_rows(&self, rows: &[FinishedRow], now: DateTime<Utc>) -> Result<(), JobStoreError>;
    /// Cancels the job: each of its pending rows is cancelled, done at
    /// `now`, and is never taken again (a row a runner holds finishes as
    /// said above). Answers how many rows it cancelled; `None` for an
    /// unknown job.
    async fn cancel_job(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Option<u64>, JobStoreError>;
    /// Removes the jobs whose every row was done before `before`, with
    /// their rows (retention); answers how many jobs. A job with a row not
    /// done stays, however old.
    async fn remove_finished(&self, before: DateTime<Utc>) -> Result<u64, JobStoreError>;
    /// Gives a taken row back, due again at `due`.
    async fn retry_row(&self, job_id: Uuid, number: u32, due: DateTime<Utc>) -> Result<(), JobStoreError>;
}
