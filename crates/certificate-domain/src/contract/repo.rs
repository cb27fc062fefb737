//! The `CertificateRepo` contract.

use std::future::Future;
use std::time::Duration;

use uuid::Uuid;

use super::{acquire, acquired, claim_request, issue, record_credential, LEASE};
use crate::model::RecordedCredential;
use crate::ports::ClaimToken;
use crate::ports::{CertificateRepo, Claim, ClaimRequest, IdempotencyKey, RepoError};

/// Runs every check of the repository contract, each on a store from `fresh`.
pub async fn check_repo<S, F, Fut>(fresh: F)
where
    S: CertificateRepo,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    one_request_holds_the_claim_at_a_time(&fresh().await).await;
    an_issued_certificate_answers_with_its_credential(&fresh().await).await;
    a_released_claim_can_be_taken_again(&fresh().await).await;
    an_expired_claim_is_taken_over_and_the_old_holder_lost_it(&fresh().await).await;
    an_unknown_outcome_keeps_the_issuance_id_and_looks_first_until_recorded(&fresh().await).await;
    a_claim_taken_over_after_its_lease_looks_first(&fresh().await).await;
    an_idempotency_key_is_bound_to_its_first_request(&fresh().await).await;
    a_failed_reissue_falls_back_to_the_certificate_issued_before(&fresh().await).await;
    an_issued_certificate_can_be_read_back(&fresh().await).await;
    concurrent_claims_and_records_each_get_their_own_answer(&fresh().await).await;
    a_credential_is_found_by_its_id_and_a_superseded_one_as_revoked(&fresh().await).await;
}

async fn one_request_holds_the_claim_at_a_time(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert_eq!(store.claim(claim_request(learner, "course-a", false, LEASE)).await.unwrap(), Claim::InFlight);
    acquire(store, claim_request(learner, "course-b", false, LEASE)).await;
    acquire(store, claim_request(Uuid::new_v4(), "course-a", false, LEASE)).await;
}

async fn a_credential_is_found_by_its_id_and_a_superseded_one_as_revoked(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let token = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    let first = issue(store, token, learner, "course-a").await;
    let token = acquire(store, claim_request(learner, "course-a", true, LEASE)).await;
    let second = issue(store, token, learner, "course-a").await;
    let current = store.find_credential(&second.certificate_id).await.unwrap();
    assert_eq!(current, Some(RecordedCredential { credential: second, revoked: false, suspended: false }));
    let superseded = store.find_credential(&first.certificate_id).await.unwrap();
    assert_eq!(superseded, Some(RecordedCredential { credential: first, revoked: true, suspended: false }));
    assert_eq!(store.find_credential("did:test:unknown").await.unwrap(), None);
}

/// Stores may serve concurrent calls together (Postgres batches them); each
/// caller still gets the answer it would have got alone.
async fn concurrent_claims_and_records_each_get_their_own_answer(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let courses: Vec<String> = (0..20).map(|n| format!("course-{}", n % 15)).collect();
    let claims = courses.iter().map(|course| store.claim(claim_request(learner, course, false, LEASE)));
    let answers = futures_util::future::join_all(claims).await;
    let tokens: Vec<(ClaimToken, &String)> = answers
        .iter()
        .zip(&courses)
        .filter_map(|(answer, course)| match answer.as_ref().expect("claim") {
            Claim::Acquired(acquired) => Some((acquired.token, course)),
            Claim::InFlight => None,
            other => panic!("a first claim answered {other:?}"),
        })
        .collect();
    assert_eq!(tokens.len(), 15, "one claim per learner and course: {answers:?}");
    let records = tokens.iter().map(|(token, course)| record_credential(store, *token, learner, course));
    for recorded in futures_util::future::join_all(records).await {
        recorded.expect("each claim records its own credential");
    }
    for course in courses.iter().take(15) {
        assert!(store.find(learner, course).await.expect("find").is_some(), "{course} was recorded");
    }
}

async fn an_issued_certificate_answers_with_its_credential(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let token = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    let body = issue(store, token, learner, "course-a").await;
    let again = store.claim(claim_request(learner, "course-a", false, LEASE)).await.unwrap();
    assert_eq!(again, Claim::AlreadyIssued(Box::new(body)));
}

async fn a_released_claim_can_be_taken_again(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let token = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    store.release(token, false).await.unwrap();
    let again = acquired(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert!(!again.look_first, "a known failure needs no lookup");
}

async fn an_unknown_outcome_keeps_the_issuance_id_and_looks_first_until_recorded(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let first = acquired(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert!(!first.look_first, "a new issuance has nothing to look for");
    store.release(first.token, true).await.unwrap();
    let second = acquired(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert_eq!((second.issuance_id, second.look_first), (first.issuance_id, true));
    store.release(second.token, false).await.unwrap();
    let third = acquired(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert_eq!((third.issuance_id, third.look_first), (first.issuance_id, true), "unknown stays unknown");
    issue(store, third.token, learner, "course-a").await;
    let reissue = acquired(store, claim_request(learner, "course-a", true, LEASE)).await;
    assert_ne!(reissue.issuance_id, first.issuance_id, "a re-issue after a recorded credential is a new issuance");
    assert!(!reissue.look_first);
    store.release(reissue.token, true).await.unwrap();
    let retried = acquired(store, claim_request(learner, "course-a", true, LEASE)).await;
    assert_eq!((retried.issuance_id, retried.look_first), (reissue.issuance_id, true), "a lost re-issue is looked up");
}

async fn a_claim_taken_over_after_its_lease_looks_first(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let abandoned = acquired(store, claim_request(learner, "course-a", false, Duration::from_millis(50))).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let taken_over = acquired(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert_eq!((taken_over.issuance_id, taken_over.look_first), (abandoned.issuance_id, true));
}

async fn an_expired_claim_is_taken_over_and_the_old_holder_lost_it(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let abandoned = acquire(store, claim_request(learner, "course-a", false, Duration::from_millis(50))).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let taken_over = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    let late = record_credential(store, abandoned, learner, "course-a").await;
    assert!(matches!(late, Err(RepoError::ClaimLost)), "the abandoned claim records nothing: {late:?}");
    let body = issue(store, taken_over, learner, "course-a").await;
    assert_eq!(
        store.claim(claim_request(learner, "course-a", false, LEASE)).await.unwrap(),
        Claim::AlreadyIssued(Box::new(body))
    );
}

async fn an_idempotency_key_is_bound_to_its_first_request(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let keyed = |fingerprint: &str, course_id| ClaimRequest {
        idempotency_key: Some(IdempotencyKey { key: "order-1", fingerprint: fingerprint.to_owned() }),
        ..claim_request(learner, course_id, false, LEASE)
    };
    let token = acquire(store, keyed("body-1", "course-a")).await;
    assert_eq!(store.claim(keyed("body-2", "course-b")).await.unwrap(), Claim::KeyReused);
    let body = issue(store, token, learner, "course-a").await;
    assert_eq!(store.claim(keyed("body-1", "course-a")).await.unwrap(), Claim::AlreadyIssued(Box::new(body)));
}

async fn an_issued_certificate_can_be_read_back(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    assert_eq!(store.find(learner, "course-a").await.unwrap(), None);
    let token = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert_eq!(store.find(learner, "course-a").await.unwrap(), None, "a claim in flight is no certificate");
    let body = issue(store, token, learner, "course-a").await;
    let found = store.find(learner, "course-a").await.unwrap().expect("the issued certificate");
    assert_eq!(found.certificate_id, body.certificate_id);
    assert_eq!((found.status.as_str(), found.credential), ("viewCertificate", body));
    assert!(found.issued_on.is_some());
    assert_eq!(store.find(learner, "course-b").await.unwrap(), None);
    assert_eq!(store.find(Uuid::new_v4(), "course-a").await.unwrap(), None);
}

async fn a_failed_reissue_falls_back_to_the_certificate_issued_before(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    let token = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    let body = issue(store, token, learner, "course-a").await;
    let reissue = acquire(store, claim_request(learner, "course-a", true, LEASE)).await;
    assert_eq!(store.claim(claim_request(learner, "course-a", false, LEASE)).await.unwrap(), Claim::InFlight);
    store.release(reissue, false).await.unwrap();
    assert_eq!(
        store.claim(claim_request(learner, "course-a", false, LEASE)).await.unwrap(),
        Claim::AlreadyIssued(Box::new(body))
    );
}
