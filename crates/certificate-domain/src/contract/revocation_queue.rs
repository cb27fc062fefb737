//! The `RevocationQueue` contract.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::{acquire, claim_request, issue, LEASE};
use crate::ports::{CertificateRepo, RevocationQueue};

/// Runs every check of the revocation queue contract, each on a store from
/// `fresh`: a re-issue queues the credential it supersedes, once, with its
/// commit; a taken revocation is leased; failures come due again.
pub async fn check_revocations<S, F, Fut>(fresh: F)
where
    S: CertificateRepo + RevocationQueue,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = fresh().await;
    let learner = Uuid::new_v4();
    let token = acquire(&store, claim_request(learner, "course-a", false, LEASE)).await;
    let first = issue(&store, token, learner, "course-a").await;
    assert!(store.take_due(10, LEASE).await.unwrap().is_empty(), "a first issuance supersedes nothing");
    let reissue = acquire(&store, claim_request(learner, "course-a", true, LEASE)).await;
    issue(&store, reissue, learner, "course-a").await;
    let due = store.take_due(10, LEASE).await.unwrap();
    assert_eq!(due.len(), 1, "the re-issue queued one revocation");
    assert_eq!(due[0].certificate_id, first.certificate_id);
    assert!(store.take_due(10, LEASE).await.unwrap().is_empty(), "a taken revocation is left to its taker");
    store.failed(due[0].id, "credential service down", Utc::now()).await.unwrap();
    let short = Duration::from_millis(50);
    let again = store.take_due(10, short).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1), "a failed revocation comes due again");
    store.revoked(again[0].id).await.unwrap();
    tokio::time::sleep(short * 4).await;
    assert!(store.take_due(10, LEASE).await.unwrap().is_empty(), "a revoked credential is done");
}
