//! Bulk jobs in the embedded default: jobs and rows under the store's one
//! mutex (in Postgres, `bulk_job` and `bulk_row`, a row taken under a lease).

use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::model::{FinishedRow, JobCounts, JobRow, JobSummary, NewRow, RowOutcome, TakenRow};
use certificate_domain::ports::{JobStore, JobStoreError};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{after, InMemoryStore};

struct Job {
    id: Uuid,
    created_at: DateTime<Utc>,
    rows: Vec<Row>,
}

struct Row {
    new: NewRow,
    outcome: RowOutcome,
    attempts: u32,
    due_at: DateTime<Utc>,
    leased_until: Option<DateTime<Utc>>,
    done_at: Option<DateTime<Utc>>,
}

/// What the store keeps of bulk jobs, oldest first.
#[derive(Default)]
pub(super) struct Jobs(Vec<Job>);

impl Jobs {
    fn row_mut(&mut self, job_id: Uuid, number: u32) -> Option<&mut Row> {
        let job = self.0.iter_mut().find(|job| job.id == job_id)?;
        job.rows.iter_mut().find(|row| row.new.number == number)
    }
}

fn counted(rows: &[Row]) -> JobCounts {
    let mut counts = JobCounts::default();
    for row in rows {
        *match row.outcome {
            RowOutcome::Pending => &mut counts.pending,
            RowOutcome::Issued { .. } => &mut counts.issued,
            RowOutcome::AlreadyIssued { .. } => &mut counts.already_issued,
            RowOutcome::Failed { .. } => &mut counts.failed,
            RowOutcome::Cancelled => &mut counts.cancelled,
        } += 1;
    }
    counts
}

/// Whether a row whose outcome is `now` takes `finished`: a pending one
/// does; a cancelled one only when a certificate came of it.
fn finishes(now: &RowOutcome, finished: &RowOutcome) -> bool {
    match now {
        RowOutcome::Pending => true,
        RowOutcome::Cancelled => matches!(finished, RowOutcome::Issued { .. } | RowOutcome::AlreadyIssued { .. }),
        _ => false,
    }
}

#[async_trait]
impl JobStore for InMemoryStore {
    async fn create_job(&self, job_id: Uuid, created_at: DateTime<Utc>, rows: &[NewRow]) -> Result<(), JobStoreError> {
        self.with_state(|state| {
            let rows = rows.iter().map(|new| Row {
                new: new.clone(),
                outcome: RowOutcome::Pending,
                attempts: 0,
                due_at: created_at,
                leased_until: None,
                done_at: None,
            });
            state.jobs.0.push(Job { id: job_id, created_at, rows: rows.collect() });
            Ok(())
        })
    }

    async fn summary(&self, job_id: Uuid) -> Result<Option<JobSummary>, JobStoreError> {
        self.with_state(|state| {
            Ok(state.jobs.0.iter().find(|job| job.id == job_id).map(|job| {
                let counts = counted(&job.rows);
                let finished_at =
                    (counts.pending == 0).then(|| job.rows.iter().filter_map(|row| row.done_at).max()).flatten();
                JobSummary { id: job.id, created_at: job.created_at, finished_at, counts }
            }))
        })
    }

    async fn rows(&self, job_id: Uuid) -> Result<Vec<JobRow>, JobStoreError> {
        self.with_state(|state| {
            let rows = state.jobs.0.iter().filter(|job| job.id == job_id).flat_map(|job| &job.rows);
            Ok(rows
                .map(|row| JobRow {
                    number: row.new.number,
                    user_id: row.new.user_id,
                    course_id: row.new.course_id.clone(),
                    outcome: row.outcome.clone(),
                })
                .collect())
        })
    }

    async fn take_rows(
        &self,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<TakenRow>, JobStoreError> {
        self.with_state(|state| {
            let mut taken = Vec::new();
            for job in &mut state.jobs.0 {
                let free = job.rows.iter_mut().filter(|row| {
                    row.outcome == RowOutcome::Pending
                        && row.due_at <= now
                        && row.leased_until.is_none_or(|until| until < now)
                });
                for row in free.take(limit - taken.len()) {
                    row.attempts += 1;
                    row.leased_until = Some(after(now, lease));
                    taken.push(TakenRow {
                        job_id: job.id,
                        number: row.new.number,
                        request: row.new.request.clone(),
                        attempts: row.attempts,
                    });
                }
                if taken.len() == limit {
                    break;
                }
            }
            Ok(taken)
        })
    }

    async fn finish_rows(&self, rows: &[FinishedRow], now: DateTime<Utc>) -> Result<(), JobStoreError> {
        self.with_state(|state| {
            for finished in rows {
                let row = state.jobs.row_mut(finished.job_id, finished.number);
                if let Some(row) = row.filter(|row| finishes(&row.outcome, &finished.outcome)) {
                    row.outcome = finished.outcome.clone();
                    row.leased_until = None;
                    row.done_at = Some(now);
                }
            }
            Ok(())
        })
    }

    async fn cancel_job(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Option<u64>, JobStoreError> {
        self.with_state(|state| {
            let Some(job) = state.jobs.0.iter_mut().find(|job| job.id == job_id) else {
                return Ok(None);
            };
            let mut cancelled = 0;
            for row in job.rows.iter_mut().filter(|row| row.outcome == RowOutcome::Pending) {
                row.outcome = RowOutcome::Cancelled;
                row.done_at = Some(now);
                cancelled += 1;
            }
            Ok(Some(cancelled))
        })
    }

    async fn remove_finished(&self, before: DateTime<Utc>) -> Result<u64, JobStoreError> {
        self.with_state(|state| {
            let finished_before = |job: &Job| job.rows.iter().all(|row| row.done_at.is_some_and(|done| done < before));
            let kept = state.jobs.0.len();
            state.jobs.0.retain(|job| !finished_before(job));
            Ok((kept - state.jobs.0.len()) as u64)
        })
    }

    async fn retry_row(&self, job_id: Uuid, number: u32, due: DateTime<Utc>) -> Result<(), JobStoreError> {
        self.with_state(|state| {
            if let Some(row) = state.jobs.row_mut(job_id, number) {
                row.leased_until = None;
                row.due_at = due;
            }
            Ok(())
        })
    }
}
