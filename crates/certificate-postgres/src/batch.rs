//! Group commit: concurrent claims share one statement, and so do concurrent
//! records, each job one row of an `unnest`ed batch: one round trip, one
//! commit and one WAL flush for all of them.
//!
//! It promises:
//! - no job waits for company: a batch leaves as soon as a lane is free, and
//!   batches grow only while every lane is busy, so a lone request pays
//!   nothing and a loaded service pays fewer commits;
//! - each job gets its own outcome: a batch the database refuses is run again
//!   one job at a time, so one bad row fails only itself; an outage fails
//!   every job of the batch as unavailable, as it would have failed each alone;
//! - two jobs on the same learner and course never share a statement (one
//!   statement cannot touch a row twice): the later one runs in the next round.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot, Mutex};
use uuid::Uuid;

use crate::db::Db;
use crate::error::DbError;

/// One kind of job that runs in batches, and the statement that runs them.
pub(crate) trait BatchJob: Send + Sync + Sized + 'static {
    type Outcome: Send + 'static;

    /// The learner and course the job writes.
    fn row(&self) -> (Uuid, &str);

    /// One outcome per job, in the jobs' order, or the error of the whole batch.
    fn run<'a>(db: &'a Db, jobs: &'a [Self]) -> BoxFuture<'a, Result<Vec<Self::Outcome>, DbError>>;
}

type Reply<O> = oneshot::Sender<Result<O, DbError>>;
type Queued<J> = (J, Reply<<J as BatchJob>::Outcome>);

/// Statements run and jobs they carried, for the metrics.
#[derive(Debug, Default)]
pub(crate) struct BatchCounts {
    statements: AtomicU64,
    jobs: AtomicU64,
}

impl BatchCounts {
    /// (statements, jobs)
    pub(crate) fn read(&self) -> (u64, u64) {
        (self.statements.load(Ordering::Relaxed), self.jobs.load(Ordering::Relaxed))
    }

    fn count(&self, jobs: usize) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(jobs as u64, Ordering::Relaxed);
    }
}

/// How batches form: `lanes` statements of a kind at once, each carrying at
/// most `max` jobs, gathered for at most `wait` after the first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchShape {
    pub(crate) lanes: usize,
    pub(crate) max: usize,
    pub(crate) wait: Duration,
}

/// The queue of one kind of job and the lanes that empty it.
pub(crate) struct Lanes<J: BatchJob> {
    queue: mpsc::UnboundedSender<Queued<J>>,
}

impl<J: BatchJob> Lanes<J> {
    /// Starts `lanes` tasks on the current runtime. They end when the last
    /// `Lanes` handle is dropped, after the jobs already queued.
    pub(crate) fn start(db: Db, counts: Arc<BatchCounts>, shape: BatchShape) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..shape.lanes {
            tokio::spawn(lane(db.clone(), counts.clone(), receiver.clone(), shape));
        }
        Self { queue }
    }

    pub(crate) async fn submit(&self, job: J) -> Result<J::Outcome, DbError> {
        let (reply, outcome) = oneshot::channel();
        self.queue.send((job, reply)).map_err(|_| DbError::unavailable("the database lanes have stopped"))?;
        outcome.await.unwrap_or_else(|_| Err(DbError::unavailable("the database lane stopped before answering")))
    }
}

async fn lane<J: BatchJob>(
    db: Db,
    counts: Arc<BatchCounts>,
    queue: Arc<Mutex<mpsc::UnboundedReceiver<Queued<J>>>>,
    shape: BatchShape,
) {
    while let Some(batch) = next_batch(&queue, shape).await {
        let mut rest = batch;
        while !rest.is_empty() {
            let (round, later) = one_per_row(rest);
            counts.count(round.len());
            run_round(&db, round).await;
            rest = later;
        }
    }
}

/// Waits for one job, then takes whatever else is queued, or arrives within
/// the shape's wait, up to its maximum.
async fn next_batch<J: BatchJob>(
    queue: &Mutex<mpsc::UnboundedReceiver<Queued<J>>>,
    shape: BatchShape,
) -> Option<Vec<Queued<J>>> {
    let mut queue = queue.lock().await;
    let mut batch = vec![queue.recv().await?];
    let deadline = tokio::time::Instant::now() + shape.wait;
    while batch.len() < shape.max {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) if shape.wait.is_zero() => break,
            Err(_) => match tokio::time::timeout_at(deadline, queue.recv()).await {
                Ok(Some(job)) => batch.push(job),
                _ => break,
            },
        }
    }
    Some(batch)
}

/// The first job of each row, and the others for a later round.
fn one_per_row<J: BatchJob>(batch: Vec<Queued<J>>) -> (Vec<Queued<J>>, Vec<Queued<J>>) {
    let mut seen = std::collections::HashSet::with_capacity(batch.len());
    batch.into_iter().partition(|(job, _)| {
        let (user_id, course_id) = job.row();
        seen.insert((user_id, course_id.to_owned()))
    })
}

async fn run_round<J: BatchJob>(db: &Db, round: Vec<Queued<J>>) {
    let (jobs, replies): (Vec<J>, Vec<Reply<J::Outcome>>) = round.into_iter().unzip();
    let outcomes = match J::run(db, &jobs).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(DbError::Failed(reason)) if jobs.len() > 1 => {
            tracing::warn!(%reason, jobs = jobs.len(), "a batch was refused; running its jobs one at a time");
            one_at_a_time(db, &jobs).await
        }
        Err(error) => jobs.iter().map(|_| Err(error.clone())).collect(),
    };
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        let _ = reply.send(outcome);
    }
}

async fn one_at_a_time<J: BatchJob>(db: &Db, jobs: &[J]) -> Vec<Result<J::Outcome, DbError>> {
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs.chunks(1) {
        outcomes.push(J::run(db, job).await.map(|mut one| one.remove(0)));
    }
    outcomes
}
