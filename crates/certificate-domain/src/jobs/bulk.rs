//! The bulk runner: takes pending rows of every job under a lease and issues
//! each through the issue use case, at most `BULK_CONCURRENCY` at once (so
//! that live requests keep their latency), on every replica.
//!
//! Promises:
//! - a row is done once: issued, already issued, or failed with the error;
//! - a row whose issuance failed for a while (a request for the same learner
//!   in flight, a credential service or database outage, a lost claim) is
//!   tried again later, with backoff, up to [`MAX_ATTEMPTS`] times;
//! - a runner that dies leaves its taken rows to any runner once their lease
//!   runs out; the issue use case makes a second try of a row that had
//!   issued answer "already issued", never a second credential.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;

use crate::model::{IssueRequest, RequestFields, RowOutcome, TakenRow};
use crate::ports::{Clock, JobStore, JobStoreError, Observer, RepoError};
use crate::use_cases::{IssueCertificate, IssueCommand, IssueError};

/// Tries of a row before it is failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// Rows taken a round per row issued at once: a round's slowest row holds
/// back a few others only.
pub const ROWS_PER_SLOT: usize = 4;

pub struct BulkRunner {
    pub store: Arc<dyn JobStore>,
    pub issue: Arc<IssueCertificate>,
    pub clock: Arc<dyn Clock>,
    /// Counts the rows' ends and retries.
    pub observer: Arc<dyn Observer>,
    /// Rows issued at once (`BULK_CONCURRENCY`).
    pub concurrency: usize,
    /// How long a taken row is held: past a round of its issuances (each
    /// bounded by its claim's lease), so that only a dead runner's rows are
    /// taken again.
    pub lease: Duration,
    /// How often an idle runner looks for rows.
    pub poll_interval: Duration,
}

impl BulkRunner {
    /// Runs until `stop` says true: takes rows while there are, sleeps
    /// `poll_interval` when there are none.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.round().await {
                Ok(taken) if taken > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot take bulk rows"),
            }
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// Takes a round of rows and issues them, `concurrency` at a time;
    /// answers how many it took.
    pub async fn round(&self) -> Result<usize, JobStoreError> {
        let rows = self.store.take_rows(self.concurrency * ROWS_PER_SLOT, self.lease, self.clock.now()).await?;
        let taken = rows.len();
        futures_util::stream::iter(rows).for_each_concurrent(self.concurrency, |row| self.issue_row(row)).await;
        Ok(taken)
    }

    async fn issue_row(&self, row: TakenRow) {
        let outcome = match self.issued(&row).await {
            Ok(outcome) => outcome,
            Err(error) if row.attempts < MAX_ATTEMPTS && worth_retrying(&error) => {
                let due = self.clock.now() + backoff(row.attempts);
                self.observer.bulk_row_retried();
                tracing::info!(job_id = %row.job_id, row = row.number, attempts = row.attempts, %error, "bulk row to be tried again");
                if let Err(error) = self.store.retry_row(row.job_id, row.number, due).await {
                    tracing::warn!(%error, "cannot give a bulk row back; its lease will");
                }
                return;
            }
            Err(error) => RowOutcome::Failed { error: error.to_string() },
        };
        match self.store.finish_row(row.job_id, row.number, &outcome, self.clock.now()).await {
            Ok(()) => self.observer.bulk_row_ended(&outcome),
            // The lease runs out and the row is taken again: the issue use case answers "already issued".
            Err(error) => {
                tracing::warn!(job_id = %row.job_id, row = row.number, %error, "cannot record a bulk row's outcome")
            }
        }
    }

    async fn issued(&self, row: &TakenRow) -> Result<RowOutcome, IssueError> {
        let fields: RequestFields =
            serde_json::from_str(&row.request).expect("a job's rows are the requests it checked");
        let request = IssueRequest::parse(fields).map_err(IssueError::Invalid)?;
        let outcome = self.issue.issue(&IssueCommand { request, idempotency_key: None }).await?;
        let certificate_id = outcome.credential.certificate_id;
        Ok(if outcome.replayed {
            RowOutcome::AlreadyIssued { certificate_id }
        } else {
            RowOutcome::Issued { certificate_id }
        })
    }
}

/// What a later try may get past: another request for the learner, an
/// outage of a store or an upstream, a claim taken over.
fn worth_retrying(error: &IssueError) -> bool {
    match error {
        IssueError::InFlight | IssueError::LeaseSpent | IssueError::Upstream(_) | IssueError::StatusLists(_) => true,
        IssueError::Repo(RepoError::Unavailable(_) | RepoError::ClaimLost) => true,
        IssueError::Invalid(_) | IssueError::KeyReused | IssueError::Repo(RepoError::Failed(_)) => false,
    }
}

/// 1, 2, 4, 8 seconds after the 1st, 2nd, ... try.
fn backoff(attempts: u32) -> chrono::Duration {
    chrono::Duration::seconds(1 << attempts.saturating_sub(1).min(6))
}
