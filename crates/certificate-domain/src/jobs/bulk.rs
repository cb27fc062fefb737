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
//!   issued answer "already issued", never a second credential;
//! - rows flow: `BULK_CONCURRENCY` are in flight while there are rows, the
//!   next ones taken before the queue runs dry, and outcomes recorded a
//!   batch at a time, in one write (a commit a batch, not a row: the job's
//!   rate is the issue path's).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::model::{FinishedRow, IssueRequest, RequestFields, RowOutcome, TakenRow};
use crate::ports::{Clock, JobStore, Observer, RepoError};
use crate::use_cases::{IssueCertificate, IssueCommand, IssueError};

/// Tries of a row before it is failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// Rows taken (queued or in flight) per row issued at once: a taken row
/// waits for a few issuances at most, well within its lease.
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
    /// Runs until `stop` says true, then finishes the rows it took: keeps
    /// `concurrency` rows in flight while there are, takes more when fewer
    /// than that are queued, records outcomes a batch at a time, and sleeps
    /// `poll_interval` when there are none.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let rows = Arc::new(RowIssuance {
            store: self.store.clone(),
            issue: self.issue.clone(),
            clock: self.clock.clone(),
            observer: self.observer.clone(),
        });
        let mut queued = VecDeque::new();
        // Each row a task of its own, so that rows holding a database
        // connection go on while this loop waits for one to take or record.
        let mut in_flight = JoinSet::new();
        let mut finished = Vec::new();
        // The last take found fewer rows than it asked: none until the flight lands.
        let mut dry = false;
        loop {
            let stopping = *stop.borrow();
            if !stopping && !dry && queued.len() < self.concurrency {
                let wanted = self.concurrency * ROWS_PER_SLOT - queued.len() - in_flight.len();
                match self.store.take_rows(wanted, self.lease, self.clock.now()).await {
                    Ok(rows) => {
                        dry = rows.len() < wanted;
                        queued.extend(rows);
                    }
                    Err(error) => {
                        dry = true;
                        tracing::warn!(%error, "cannot take bulk rows");
                    }
                }
            }
            while in_flight.len() < self.concurrency {
                let Some(row) = queued.pop_front() else { break };
                in_flight.spawn(rows.clone().issue_row(row));
            }
            match in_flight.join_next().await {
                Some(Ok(done)) => finished.extend(done),
                // Its lease runs out and the row is taken again.
                Some(Err(error)) => tracing::error!(%error, "a bulk row's task failed"),
                None => {
                    self.record(&mut finished).await;
                    if stopping {
                        return;
                    }
                    if dry {
                        tokio::select! {
                            _ = stop.changed() => {}
                            _ = tokio::time::sleep(self.poll_interval) => {}
                        }
                    }
                    dry = false;
                    continue;
                }
            }
            if finished.len() >= self.concurrency {
                self.record(&mut finished).await;
            }
        }
    }

    /// Records the finished rows' outcomes and forgets them; keeps them for
    /// the next batch when the store fails (their leases hold them meanwhile;
    /// should this runner die, the rows are taken again once the leases run
    /// out, and the issue use case answers "already issued").
    async fn record(&self, finished: &mut Vec<FinishedRow>) {
        if finished.is_empty() {
            return;
        }
        match self.store.finish_rows(finished, self.clock.now()).await {
            Ok(()) => finished.drain(..).for_each(|row| self.observer.bulk_row_ended(&row.outcome)),
            Err(error) => tracing::warn!(rows = finished.len(), %error, "cannot record bulk rows' outcomes yet"),
        }
    }
}

/// What a row's task needs: the runner's ports, shared.
struct RowIssuance {
    store: Arc<dyn JobStore>,
    issue: Arc<IssueCertificate>,
    clock: Arc<dyn Clock>,
    observer: Arc<dyn Observer>,
}

impl RowIssuance {
    /// What became of the row, or `None` when it was given back to be tried again.
    async fn issue_row(self: Arc<Self>, row: TakenRow) -> Option<FinishedRow> {
        let outcome = match self.issued(&row).await {
            Ok(outcome) => outcome,
            Err(error) if row.attempts < MAX_ATTEMPTS && worth_retrying(&error) => {
                let due = self.clock.now() + backoff(row.attempts);
                self.observer.bulk_row_retried();
                tracing::info!(job_id = %row.job_id, row = row.number, attempts = row.attempts, %error, "bulk row to be tried again");
                if let Err(error) = self.store.retry_row(row.job_id, row.number, due).await {
                    tracing::warn!(%error, "cannot give a bulk row back; its lease will");
                }
                return None;
            }
            Err(error) => RowOutcome::Failed { error: error.to_string() },
        };
        Some(FinishedRow { job_id: row.job_id, number: row.number, outcome })
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
