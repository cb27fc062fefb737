//! The bulk runner in process, on the in-memory store and the fake issuer:
//! a job's rows issued once each, and outcomes the store could not take at
//! once recorded with the next batch rather than left to their lease.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::model::{FinishedRow, JobRow, JobSummary, NewRow, TakenRow};
use certificate_domain::ports::{JobStore, JobStoreError, SystemClock, SystemRandomness};
use certificate_domain::use_cases::BulkIssuance;
use certificate_domain::{BulkRunner, IssuanceRoles, IssueCertificate, RequestFields};
use certificate_memory::doubles::{FakeCredentialIssuer, RecordingObserver};
use certificate_memory::embedded::InMemoryStore;
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

/// The in-memory store, whose first `failures` writes of outcomes fail.
struct FailingFirstFinishes {
    store: Arc<InMemoryStore>,
    failures: AtomicUsize,
}

#[async_trait]
impl JobStore for FailingFirstFinishes {
    async fn create_job(&self, job_id: Uuid, created_at: DateTime<Utc>, rows: &[NewRow]) -> Result<(), JobStoreError> {
        self.store.create_job(job_id, created_at, rows).await
    }

    async fn summary(&self, job_id: Uuid) -> Result<Option<JobSummary>, JobStoreError> {
        self.store.summary(job_id).await
    }

    async fn rows(&self, job_id: Uuid) -> Result<Vec<JobRow>, JobStoreError> {
        self.store.rows(job_id).await
    }

    async fn take_rows(
        &self,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<TakenRow>, JobStoreError> {
        self.store.take_rows(limit, lease, now).await
    }

    async fn finish_rows(&self, rows: &[FinishedRow], now: DateTime<Utc>) -> Result<(), JobStoreError> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
            return Err(JobStoreError::Unavailable(certificate_domain::ports::cause_from("the database went away")));
        }
        self.store.finish_rows(rows, now).await
    }

    async fn cancel_job(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Option<u64>, JobStoreError> {
        self.store.cancel_job(job_id, now).await
    }

    async fn remove_finished(&self, before: DateTime<Utc>) -> Result<u64, JobStoreError> {
        self.store.remove_finished(before).await
    }

    async fn retry_row(&self, job_id: Uuid, number: u32, due: DateTime<Utc>) -> Result<(), JobStoreError> {
        self.store.retry_row(job_id, number, due).await
    }
}

fn cohort(count: usize) -> Vec<RequestFields> {
    let row = |n: usize| {
        serde_json::from_value(json!({
            "userId": Uuid::new_v4(), "courseId": "do_bulk", "courseName": "Intro", "firstName": "Ada",
            "lastName": format!("No {n}"), "issuanceDate": "2025-10-13T00:00:00.000Z",
            "expirationDate": "2099-10-13T00:00:00.000Z"
        }))
        .unwrap()
    };
    (0..count).map(row).collect()
}

/// A runner of `concurrency` rows at once, with leases of an hour.
fn runner(
    store: Arc<dyn JobStore>,
    issue: Arc<IssueCertificate>,
    observer: Arc<RecordingObserver>,
    concurrency: usize,
) -> BulkRunner {
    BulkRunner {
        store,
        issue,
        clock: Arc::new(SystemClock),
        observer,
        concurrency,
        lease: Duration::from_secs(3600),
        poll_interval: Duration::from_millis(10),
    }
}

/// Submits `rows` and runs a runner (8 at once, leases of an hour) until the job is done.
async fn run_job(jobs: Arc<dyn JobStore>, store: Arc<InMemoryStore>, rows: Vec<RequestFields>) -> JobSummary {
    let observer = Arc::new(RecordingObserver::default());
    let roles = IssuanceRoles::played_by(Arc::new(FakeCredentialIssuer::new()));
    let issue = Arc::new(IssueCertificate::new(store, roles, Arc::new(SystemClock), observer.clone()));
    let bulk =
        BulkIssuance::new(jobs.clone(), Arc::new(SystemClock), Arc::new(SystemRandomness), observer.clone(), 1000);
    let job = bulk.submit(rows).await.unwrap();
    let runner = runner(jobs, issue, observer, 8);
    let (stop, stopped) = watch::channel(false);
    let waiting = async {
        loop {
            let summary = bulk.summary(job).await.unwrap();
            if summary.counts.pending == 0 {
                stop.send(true).unwrap();
                return summary;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let within = tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(runner.run(stopped), waiting).1 });
    within.await.expect("the job ends well before any lease runs out")
}

#[tokio::test]
async fn a_jobs_rows_are_issued_once_each() {
    let store = Arc::new(InMemoryStore::new());
    let rows = cohort(100);
    let first = run_job(store.clone(), store.clone(), rows.clone()).await;
    assert_eq!((first.counts.issued, first.counts.already_issued, first.counts.failed), (100, 0, 0));
    let again = run_job(store.clone(), store.clone(), rows).await;
    assert_eq!((again.counts.issued, again.counts.already_issued), (0, 100), "the same rows again issue nothing");
}

#[tokio::test]
async fn outcomes_the_store_refused_are_recorded_with_the_next_batch() {
    let store = Arc::new(InMemoryStore::new());
    let jobs = Arc::new(FailingFirstFinishes { store: store.clone(), failures: AtomicUsize::new(2) });
    let summary = run_job(jobs.clone(), store, cohort(40)).await;
    assert_eq!(summary.counts.issued, 40, "no row left to its hour-long lease");
    assert_eq!(jobs.failures.load(Ordering::SeqCst), 0, "both failures happened");
}

/// A job cancelled while its runner works: the runner takes no row after
/// it, and the report counts every credential the issuer made, no other.
#[tokio::test]
async fn a_cancelled_job_issues_no_row_it_had_not_started() {
    let store = Arc::new(InMemoryStore::new());
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let observer = Arc::new(RecordingObserver::default());
    let roles = IssuanceRoles::played_by(issuer.clone());
    let issue = Arc::new(IssueCertificate::new(store.clone(), roles, Arc::new(SystemClock), observer.clone()));
    let clock = Arc::new(SystemClock);
    let bulk = BulkIssuance::new(store.clone(), clock.clone(), Arc::new(SystemRandomness), observer.clone(), 5000);
    let job = bulk.submit(cohort(5000)).await.unwrap();
    let runner = runner(store.clone(), issue, observer, 4);
    let (stop, stopped) = watch::channel(false);
    let cancelling = async {
        while bulk.summary(job).await.unwrap().counts.done() < 50 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let cancelled = bulk.cancel(job).await.unwrap();
        assert_eq!(cancelled.counts.pending, 0, "nothing left to take once cancelled");
        assert!(cancelled.finished_at.is_some(), "the job is done");
        // The rows in flight finish; then the runner has nothing to do.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let issued = issuer.credentials_issued();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(issuer.credentials_issued(), issued, "no row is issued after the rows in flight");
        stop.send(true).unwrap();
        bulk.summary(job).await.unwrap()
    };
    let within =
        tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(runner.run(stopped), cancelling).1 });
    let summary = within.await.expect("the cancellation ends the job");
    assert!(summary.counts.cancelled > 0 && summary.counts.cancelled < 4950, "{:?}", summary.counts);
    assert_eq!(summary.counts.total(), 5000);
    assert_eq!(
        summary.counts.issued as usize,
        issuer.credentials_issued(),
        "every credential issued is reported issued, and only those: {:?}",
        summary.counts
    );
}
