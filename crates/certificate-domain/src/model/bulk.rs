//! Bulk issuance: a job of many issue requests (a cohort), each row issued
//! through the one issue use case, and what became of each.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What became of one row of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Not yet issued (or to be tried again).
    Pending,
    /// This job issued the certificate.
    Issued { certificate_id: String },
    /// The learner had this certificate already: its id, nothing new issued.
    AlreadyIssued { certificate_id: String },
    /// It could not be issued; the error, in product words.
    Failed { error: String },
    /// The job was cancelled before the row was issued.
    Cancelled,
}

impl RowOutcome {
    /// The name the job's answer and its store use.
    pub fn as_str(&self) -> &'static str {
        match self {
            RowOutcome::Pending => "pending",
            RowOutcome::Issued { .. } => "issued",
            RowOutcome::AlreadyIssued { .. } => "already_issued",
            RowOutcome::Failed { .. } => "failed",
            RowOutcome::Cancelled => "cancelled",
        }
    }
}

/// A row as a job is created with: its number (the first data row is 1),
/// its learner and course, and the request as JSON (it passed every rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRow {
    pub number: u32,
    pub user_id: Uuid,
    pub course_id: String,
    pub request: String,
}

/// A row and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub number: u32,
    pub user_id: Uuid,
    pub course_id: String,
    pub outcome: RowOutcome,
}

/// A row taken by a runner, under a lease: its request and how often it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenRow {
    pub job_id: Uuid,
    pub number: u32,
    pub request: String,
    pub attempts: u32,
}

/// What became of a taken row (never `Pending`), to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedRow {
    pub job_id: Uuid,
    pub number: u32,
    pub outcome: RowOutcome,
}

/// How many rows are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub pending: u64,
    pub issued: u64,
    pub already_issued: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl JobCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.issued + self.already_issued + self.failed + self.cancelled
    }

    /// Rows no longer pending, cancelled ones included.
    pub fn done(&self) -> u64 {
        self.total() - self.pending
    }

    /// Rows a runner took to the end: issued, already issued or failed
    /// (a cancelled row was never worked on).
    pub fn worked(&self) -> u64 {
        self.issued + self.already_issued + self.failed
    }
}

/// A job as its reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSummary {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// When its last row was done; `None` while a row is pending.
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: JobCounts,
}

impl JobSummary {
    /// Rows worked per second, from its creation to its end (or `now`);
    /// cancelled rows do not count.
    pub fn rate(&self, now: DateTime<Utc>) -> f64 {
        let seconds = (self.finished_at.unwrap_or(now) - self.created_at).num_milliseconds() as f64 / 1000.0;
        if seconds > 0.0 {
            self.counts.worked() as f64 / seconds
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_row_is_done_but_not_worked() {
        let counts = JobCounts { pending: 1, issued: 2, already_issued: 1, failed: 1, cancelled: 5 };
        assert_eq!((counts.total(), counts.done(), counts.worked()), (10, 9, 4));
        let created_at = Utc::now();
        let summary = JobSummary {
            id: Uuid::nil(),
            created_at,
            finished_at: Some(created_at + chrono::Duration::seconds(2)),
            counts,
        };
        assert_eq!(summary.rate(created_at), 2.0, "four rows worked in two seconds");
    }
}
