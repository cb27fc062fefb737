//! The `JobStore` contract.

use std::future::Future;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use crate::model::{FinishedRow, JobCounts, NewRow, RowOutcome};
use crate::ports::JobStore;

fn rows(count: u32) -> Vec<NewRow> {
    (1..=count)
        .map(|number| NewRow {
            number,
            user_id: Uuid::new_v4(),
            course_id: format!("course-{number}"),
            request: format!("{{\"row\":{number}}}"),
        })
        .collect()
}

const LEASE: Duration = Duration::from_secs(60);

/// Runs every check of the job store contract on a store from `fresh`: a
/// job is recorded with its rows, pending; a row is taken by one runner at
/// a time until its lease runs out, counting attempts; a row given back is
/// due again when said; a row is done once; the summary counts each state
/// and says when the last row was done; a job is removed once every row
/// was done before the retention's horizon, never while a row is pending;
/// a cancelled job's pending rows are cancelled and never taken, a row a
/// runner held keeps a certificate that came of it, nothing else.
pub async fn check_job_store<S, F, Fut>(fresh: F)
where
    S: JobStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = fresh().await;
    let now = Utc::now().trunc_subsecs(6);
    let job = Uuid::new_v4();
    store.create_job(job, now, &rows(3)).await.unwrap();
    let summary = store.summary(job).await.unwrap().unwrap();
    assert_eq!((summary.created_at, summary.finished_at), (now, None));
    assert_eq!(summary.counts, JobCounts { pending: 3, ..JobCounts::default() });
    assert_eq!(store.summary(Uuid::new_v4()).await.unwrap(), None);

    let first = store.take_rows(2, LEASE, now).await.unwrap();
    assert_eq!(
        first.iter().map(|row| (row.job_id, row.number, row.attempts)).collect::<Vec<_>>(),
        [(job, 1, 1), (job, 2, 1)]
    );
    assert_eq!(first[0].request, "{\"row\":1}");
    let second = store.take_rows(2, LEASE, now).await.unwrap();
    assert_eq!(second.iter().map(|row| row.number).collect::<Vec<_>>(), [3], "a leased row is no one else's");
    assert!(store.take_rows(2, LEASE, now).await.unwrap().is_empty());

    let later = now + chrono::Duration::seconds(1);
    let issued = RowOutcome::Issued { certificate_id: "urn:uuid:1".into() };
    let finished = |number, outcome| FinishedRow { job_id: job, number, outcome };
    store.finish_rows(&[finished(1, issued.clone())], later).await.unwrap();
    let already = RowOutcome::AlreadyIssued { certificate_id: "urn:uuid:2".into() };
    let late = RowOutcome::Failed { error: "late".into() };
    store.finish_rows(&[finished(1, late), finished(2, already)], later).await.unwrap();
    let due = now + chrono::Duration::seconds(8);
    store.retry_row(job, 3, due).await.unwrap();
    assert!(store.take_rows(5, LEASE, later).await.unwrap().is_empty(), "not due yet");
    let again = store.take_rows(5, LEASE, due).await.unwrap();
    assert_eq!(again.iter().map(|row| (row.number, row.attempts)).collect::<Vec<_>>(), [(3, 2)]);
    assert_eq!(store.summary(job).await.unwrap().unwrap().finished_at, None, "a row is pending");
    let failed = RowOutcome::Failed { error: "the credential service answered 500".into() };
    store.finish_rows(&[finished(3, failed)], due).await.unwrap();

    let summary = store.summary(job).await.unwrap().unwrap();
    assert_eq!(summary.counts, JobCounts { pending: 0, issued: 1, already_issued: 1, failed: 1, cancelled: 0 });
    assert_eq!(summary.finished_at, Some(due), "when the last row was done");
    let outcomes: Vec<(u32, RowOutcome)> =
        store.rows(job).await.unwrap().into_iter().map(|row| (row.number, row.outcome)).collect();
    assert_eq!(outcomes[0], (1, issued), "done once");
    assert_eq!(outcomes[2].1.as_str(), "failed");
    assert_eq!(store.rows(job).await.unwrap()[1].course_id, "course-2");

    // A runner that died: its rows are taken again once the lease ran out.
    let abandoned = Uuid::new_v4();
    store.create_job(abandoned, now, &rows(1)).await.unwrap();
    assert_eq!(store.take_rows(1, LEASE, now).await.unwrap().len(), 1);
    assert!(store.take_rows(1, LEASE, now + chrono::Duration::seconds(59)).await.unwrap().is_empty());
    let retaken = store.take_rows(1, LEASE, now + chrono::Duration::seconds(61)).await.unwrap();
    assert_eq!(retaken.iter().map(|row| (row.job_id, row.attempts)).collect::<Vec<_>>(), [(abandoned, 2)]);

    // Retention: `job`'s last row was done at `due`; `abandoned` has one pending.
    assert_eq!(store.remove_finished(due).await.unwrap(), 0, "done at the horizon, not before it");
    assert_eq!(store.remove_finished(due + chrono::Duration::seconds(1)).await.unwrap(), 1);
    assert_eq!(store.summary(job).await.unwrap(), None);
    assert!(store.rows(job).await.unwrap().is_empty(), "its rows went with it");
    assert_eq!(store.remove_finished(now + chrono::Duration::days(365)).await.unwrap(), 0);
    assert!(store.summary(abandoned).await.unwrap().is_some(), "a job with a pending row stays");
    check_cancellation(&fresh().await).await;
}

async fn check_cancellation(store: &impl JobStore) {
    let now = Utc::now().trunc_subsecs(6);
    let job = Uuid::new_v4();
    store.create_job(job, now, &rows(5)).await.unwrap();
    let held = store.take_rows(3, LEASE, now).await.unwrap();
    assert_eq!(held.len(), 3, "rows 1 to 3 are being issued");
    let done = RowOutcome::Issued { certificate_id: "urn:uuid:1".into() };
    store.finish_rows(&[FinishedRow { job_id: job, number: 1, outcome: done.clone() }], now).await.unwrap();

    let cancelled_at = now + chrono::Duration::seconds(2);
    assert_eq!(store.cancel_job(job, cancelled_at).await.unwrap(), Some(4), "every row not done: 2 to 5");
    assert_eq!(store.cancel_job(Uuid::new_v4(), cancelled_at).await.unwrap(), None, "an unknown job");
    assert_eq!(store.cancel_job(job, cancelled_at).await.unwrap(), Some(0), "cancelling again changes nothing");
    let later = now + chrono::Duration::minutes(5);
    assert!(store.take_rows(10, LEASE, later).await.unwrap().is_empty(), "a cancelled row is never taken");
    store.retry_row(job, 5, cancelled_at).await.unwrap();
    assert!(store.take_rows(10, LEASE, later).await.unwrap().is_empty(), "nor given back");

    // Rows 2 and 3 were held by a runner: what became of them is recorded
    // when a certificate came of it, and not otherwise.
    let finished_at = now + chrono::Duration::seconds(3);
    let came = RowOutcome::AlreadyIssued { certificate_id: "urn:uuid:2".into() };
    let failed = RowOutcome::Failed { error: "the credential service answered 500".into() };
    let finished = [
        FinishedRow { job_id: job, number: 2, outcome: came.clone() },
        FinishedRow { job_id: job, number: 3, outcome: failed },
        FinishedRow { job_id: job, number: 1, outcome: RowOutcome::Failed { error: "late".into() } },
    ];
    store.finish_rows(&finished, finished_at).await.unwrap();
    let outcomes: Vec<RowOutcome> = store.rows(job).await.unwrap().into_iter().map(|row| row.outcome).collect();
    assert_eq!(outcomes, [done, came, RowOutcome::Cancelled, RowOutcome::Cancelled, RowOutcome::Cancelled]);
    let summary = store.summary(job).await.unwrap().unwrap();
    let counts = JobCounts { pending: 0, issued: 1, already_issued: 1, failed: 0, cancelled: 3 };
    assert_eq!(summary.counts, counts);
    assert_eq!(summary.finished_at, Some(finished_at), "done: the last row recorded");
}
