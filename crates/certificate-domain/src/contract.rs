//! The contracts every adapter of a port keeps, written once and run against
//! each of them: `CertificateRepo` and `EventOutbox` on the in-memory store
//! and Postgres, so that the fake the unit tests and the embedded mode use
//! behaves as Postgres does; `CertificatePublisher` on the embedded log
//! publisher and the recording double, rdkafka on tansu and kafka-rust (when
//! a Kafka ≤ 3.9 broker is given), each read back from where it sent. Compiled only with the `contract-tests` feature.
//!
//! Each store check gets a fresh, empty store; the outbox checks record their
//! events through the store's `CertificateRepo`, as the service does.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use crate::ports::{
    Acquired, CertificatePublisher, CertificateRepo, Claim, ClaimRequest, ClaimToken, CredentialIssuer,
    CredentialRequest, DeliverBatch, Delivery, EventOutbox, FailedDelivery, IdempotencyKey, IssuedCertificate,
    IssuedCredential, PendingEvent, RecordedCredential, RepoError, RevocationQueue, Selection,
};
use crate::{CertificateEvent, IssueRequest, RequestFields};

/// Runs every check of the outbox contract, each on a store from `fresh`.
pub async fn check_outbox<S, F, Fut>(fresh: F)
where
    S: CertificateRepo + EventOutbox,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    handed_events_go_out_once(&fresh().await).await;
    events_due_later_wait_for_the_hand_off(&fresh().await).await;
    a_failed_event_holds_back_its_certificate_only(&fresh().await).await;
    a_dead_event_no_longer_holds_back_its_certificate(&fresh().await).await;
    a_held_batch_is_not_taken_by_another(&fresh().await).await;
}

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
    assert_eq!(serde_json::Value::from(due[0].certificate_id.as_str()), first["id"]);
    assert!(store.take_due(10, LEASE).await.unwrap().is_empty(), "a taken revocation is left to its taker");
    store.failed(due[0].id, "credential service down", Utc::now()).await.unwrap();
    let short = Duration::from_millis(50);
    let again = store.take_due(10, short).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1), "a failed revocation comes due again");
    store.revoked(again[0].id).await.unwrap();
    tokio::time::sleep(short * 4).await;
    assert!(store.take_due(10, LEASE).await.unwrap().is_empty(), "a revoked credential is done");
}

/// Runs every check of the credential issuer contract on an issuer whose
/// services answer: credentials are found again by their issuance id, and
/// revoking is idempotent.
/// How an issuer stands to lost answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuedLookup {
    /// A remote issuer: an answer can be lost on the way, so what it issued
    /// under an issuance id can be found again.
    FindsIssued,
    /// An in-process issuer: no answer is ever lost, nothing waits to be found.
    NothingToFind,
}

/// Runs every check of the credential issuer contract.
pub async fn check_credential_issuer(issuer: &dyn CredentialIssuer, lookup: IssuedLookup) {
    let request = request(Uuid::new_v4(), "course-a", false);
    let issuance_id = Uuid::new_v4();
    assert!(issuer.find_issued(issuance_id).await.unwrap().is_none(), "nothing is issued under a new id");
    let learner_did = issuer.generate_did(request.user_id).await.unwrap();
    let issue =
        CredentialRequest { learner_did: &learner_did, request: &request, issued_on: "May 2026".into(), issuance_id };
    let issued = issuer.issue_credential(issue.clone()).await.unwrap();
    assert_eq!(
        issued.body["credential"]["id"],
        json!(issued.certificate_id),
        "the credential's id is the certificate id"
    );
    let newer = issuer.issue_credential(issue).await.unwrap();
    assert_ne!(newer.certificate_id, issued.certificate_id, "each issuance is a new credential");
    let found = issuer.find_issued(issuance_id).await.unwrap();
    match lookup {
        IssuedLookup::FindsIssued => assert_eq!(found, Some(newer), "the newest is found, in the issue answer's shape"),
        IssuedLookup::NothingToFind => assert_eq!(found, None),
    }
    assert!(issuer.find_issued(Uuid::new_v4()).await.unwrap().is_none(), "another issuance finds nothing");
    let recorded = |revoked| RecordedCredential { body: issued.body.clone(), revoked };
    assert_eq!(verified_status(issuer, &issued.certificate_id, &recorded(false)).await, "ISSUED");
    issuer.revoke(&issued.certificate_id).await.unwrap();
    issuer.revoke(&issued.certificate_id).await.expect("revoking twice is fine");
    issuer.revoke("did:upai:unknown").await.expect("an unknown credential has nothing to revoke");
    assert_eq!(verified_status(issuer, &issued.certificate_id, &recorded(true)).await, "REVOKED");
    assert!(issuer.verify("did:upai:unknown", None).await.unwrap().is_none(), "an unknown credential is not found");
    assert!(issuer.verify("../issue?tags=x", None).await.unwrap().is_none(), "an id is one id, never another route");
}

async fn verified_status(issuer: &dyn CredentialIssuer, certificate_id: &str, recorded: &RecordedCredential) -> String {
    let verification =
        issuer.verify(certificate_id, Some(recorded)).await.unwrap().expect("an issued credential is known");
    verification.0["status"].as_str().expect("a status").to_owned()
}

/// A record as a publisher's destination received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub key: String,
    pub payload: String,
    pub headers: Vec<(String, String)>,
}

/// Where a publisher's records can be read back from: a consumer of the
/// broker's topic, the log the embedded publisher writes, a double's list.
pub trait Destination: Send + Sync {
    /// Every record received so far, in the order received, waiting (within
    /// a bound of the destination's) until there are at least `at_least`.
    fn received(&self, at_least: usize) -> Vec<Received>;
}

/// Runs every check of the publisher contract on a publisher whose broker
/// (if it has one) is up and has its topic, reading back what it sent from
/// `destination`. With `event_id_header`, every record carries the event's
/// id in that header.
pub async fn check_publisher(
    publisher: &dyn CertificatePublisher,
    destination: &dyn Destination,
    event_id_header: Option<&str>,
) {
    assert!(publisher.publish(&[]).await.is_empty(), "an empty batch is answered with nothing");
    let batch = events(&[("course-a", 3), ("course-b", 2)]);
    let results = publisher.publish(&batch).await;
    assert_eq!(results.len(), batch.len(), "one result per event, in order");
    assert!(results.iter().all(Result::is_ok), "a reachable broker acknowledges every event: {results:?}");
    let again = publisher.publish(&batch[..1]).await;
    assert!(again[0].is_ok(), "a redelivered event (same id) is accepted again: at-least-once, {again:?}");
    publisher.flush(Duration::from_secs(5)).await;

    let sent: Vec<&PendingEvent> = batch.iter().chain(&batch[..1]).collect();
    let received = destination.received(sent.len());
    assert_eq!(received.len(), sent.len(), "every acknowledged event arrived, once: {received:#?}");
    for (event, record) in sent.iter().zip(&received) {
        assert_eq!((&record.key, &record.payload), (&event.key, &event.payload), "key and value as given, in order");
        if let Some(name) = event_id_header {
            let header = record.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
            assert_eq!(header, Some(event.event_id.to_string().as_str()), "the {name} header names the event");
        }
    }
}

/// Runs every check of the publisher contract on a publisher whose broker
/// cannot be reached: each event fails, none is lost silently, and the call
/// comes back within `bound` instead of hanging.
pub async fn check_unreachable_publisher(publisher: &dyn CertificatePublisher, bound: Duration) {
    let batch = events(&[("course-a", 2), ("course-b", 1)]);
    let results =
        tokio::time::timeout(bound, publisher.publish(&batch)).await.expect("publish answers within its bound");
    assert_eq!(results.len(), batch.len(), "one result per event, in order");
    assert!(results.iter().all(Result::is_err), "nothing counts as published without a broker: {results:?}");
}

/// `count` events of each learner-less key, as the outbox would hand them out.
fn events(keys: &[(&str, usize)]) -> Vec<PendingEvent> {
    let mut id = 0;
    let mut events = Vec::new();
    for (course_id, count) in keys {
        for _ in 0..*count {
            id += 1;
            let request = request(Uuid::new_v4(), course_id, false);
            let event = CertificateEvent::certificate_issued(&request, "did:contract", Uuid::new_v4(), Utc::now());
            events.push(PendingEvent::recorded(id, &event));
        }
    }
    events
}

const LEASE: Duration = Duration::from_secs(30);

fn claim_request<'a>(user_id: Uuid, course_id: &'a str, reissue: bool, lease: Duration) -> ClaimRequest<'a> {
    ClaimRequest { user_id, course_id, idempotency_key: None, reissue, lease, new_issuance_id: Uuid::new_v4() }
}

async fn acquired(store: &impl CertificateRepo, request: ClaimRequest<'_>) -> Acquired {
    match store.claim(request).await.expect("claim") {
        Claim::Acquired(acquired) => acquired,
        other => panic!("expected the claim to be acquired, got {other:?}"),
    }
}

async fn acquire(store: &impl CertificateRepo, request: ClaimRequest<'_>) -> ClaimToken {
    acquired(store, request).await.token
}

/// Records a credential for the claim `token`; returns the credential's body.
async fn record_credential(
    store: &impl CertificateRepo,
    token: ClaimToken,
    user_id: Uuid,
    course_id: &str,
) -> Result<serde_json::Value, RepoError> {
    let request = request(user_id, course_id, false);
    let certificate_id = format!("did:test:{}", Uuid::new_v4());
    let credential = IssuedCredential { certificate_id: certificate_id.clone(), body: json!({"id": certificate_id}) };
    let event = CertificateEvent::certificate_issued(&request, &certificate_id, Uuid::new_v4(), Utc::now());
    let certificate = IssuedCertificate { request: &request, credential: &credential, revoke_previous: true };
    store.record_issued(token, certificate, &event).await?;
    Ok(credential.body)
}

async fn issue(store: &impl CertificateRepo, token: ClaimToken, user_id: Uuid, course_id: &str) -> serde_json::Value {
    record_credential(store, token, user_id, course_id).await.expect("record")
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
    let found = |body: &serde_json::Value| body["id"].as_str().expect("an id").to_owned();
    let current = store.find_credential(&found(&second)).await.unwrap();
    assert_eq!(current, Some(RecordedCredential { body: second, revoked: false }));
    let superseded = store.find_credential(&found(&first)).await.unwrap();
    assert_eq!(superseded, Some(RecordedCredential { body: first, revoked: true }));
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
    assert_eq!(again, Claim::AlreadyIssued(body));
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
        Claim::AlreadyIssued(body)
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
    assert_eq!(store.claim(keyed("body-1", "course-a")).await.unwrap(), Claim::AlreadyIssued(body));
}

async fn an_issued_certificate_can_be_read_back(store: &impl CertificateRepo) {
    let learner = Uuid::new_v4();
    assert_eq!(store.find(learner, "course-a").await.unwrap(), None);
    let token = acquire(store, claim_request(learner, "course-a", false, LEASE)).await;
    assert_eq!(store.find(learner, "course-a").await.unwrap(), None, "a claim in flight is no certificate");
    let body = issue(store, token, learner, "course-a").await;
    let found = store.find(learner, "course-a").await.unwrap().expect("the issued certificate");
    assert_eq!(serde_json::Value::from(found.certificate_id.as_str()), body["id"]);
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
        Claim::AlreadyIssued(body)
    );
}

/// Publishes everything except the events it was told to fail (for a retry
/// now, or to dead-letter).
#[derive(Default)]
struct Deliverer {
    fail: Vec<i64>,
    dead: bool,
}

impl Deliverer {
    fn failing(fail: &[i64], dead: bool) -> Self {
        Self { fail: fail.to_vec(), dead }
    }
}

#[async_trait]
impl DeliverBatch for Deliverer {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        events
            .iter()
            .map(|event| match self.fail.contains(&event.id) {
                false => Delivery::Published { id: event.id },
                true => Delivery::Failed(FailedDelivery {
                    id: event.id,
                    error: "broker unavailable".into(),
                    retry_at: (!self.dead).then(Utc::now),
                }),
            })
            .collect()
    }
}

fn request(user_id: Uuid, course_id: &str, reissue: bool) -> IssueRequest {
    let raw: RequestFields = serde_json::from_value(json!({
        "userId": user_id.to_string(), "courseId": course_id, "courseName": "Intro", "firstName": "Ada",
        "lastName": "Lovelace", "issuanceDate": "2025-10-13", "expirationDate": "2099-10-13", "reissue": reissue
    }))
    .expect("a well-formed request");
    IssueRequest::parse(raw).expect("a valid request")
}

/// Issues (or re-issues) the certificate of `user_id` for `course_id`;
/// returns its event as the hand-off would carry it.
async fn record(
    store: &impl CertificateRepo,
    user_id: Uuid,
    course_id: &str,
    reissue: bool,
    due_in: Duration,
) -> PendingEvent {
    let request = request(user_id, course_id, reissue);
    let token = acquire(store, claim_request(user_id, course_id, reissue, LEASE)).await;
    let certificate_id = format!("did:test:{}", Uuid::new_v4());
    let credential = IssuedCredential { certificate_id: certificate_id.clone(), body: json!({"id": certificate_id}) };
    let mut event = CertificateEvent::certificate_issued(&request, &certificate_id, Uuid::new_v4(), Utc::now());
    event.due_at = event.created_at + chrono::Duration::from_std(due_in).unwrap();
    let certificate = IssuedCertificate { request: &request, credential: &credential, revoke_previous: false };
    let position = store.record_issued(token, certificate, &event).await.expect("record");
    PendingEvent::recorded(position, &event)
}

const NOW: Duration = Duration::ZERO;
const LATER: Duration = Duration::from_secs(3600);
const DUE: Selection<'static> = Selection::Due { limit: 100 };

fn published(outcomes: &[Delivery]) -> Vec<i64> {
    outcomes.iter().filter_map(|o| if let Delivery::Published { id } = o { Some(*id) } else { None }).collect()
}

async fn handed_events_go_out_once(store: &(impl CertificateRepo + EventOutbox)) {
    let first = record(store, Uuid::new_v4(), "course-a", false, LATER).await;
    let second = record(store, Uuid::new_v4(), "course-a", false, LATER).await;
    let handed = [first.clone(), second.clone()];
    let deliverer = Deliverer::default();
    let outcomes = store.deliver(Selection::Handed(&handed), &deliverer).await.unwrap();
    assert_eq!(published(&outcomes), [first.id, second.id], "two learners of one course go out together");
    let again = store.deliver(Selection::Handed(&handed), &deliverer).await.unwrap();
    assert!(again.is_empty(), "a published event is not handed out again");
    assert!(store.deliver(DUE, &deliverer).await.unwrap().is_empty());
}

async fn events_due_later_wait_for_the_hand_off(store: &(impl CertificateRepo + EventOutbox)) {
    let fresh = record(store, Uuid::new_v4(), "course-a", false, LATER).await;
    let deliverer = Deliverer::default();
    assert!(store.deliver(DUE, &deliverer).await.unwrap().is_empty(), "the poller leaves it to the hand-off");
    let left_behind = record(store, Uuid::new_v4(), "course-a", false, NOW).await;
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [left_behind.id]);
    assert_eq!(
        published(&store.deliver(Selection::Handed(std::slice::from_ref(&fresh)), &deliverer).await.unwrap()),
        [fresh.id]
    );
}

async fn a_failed_event_holds_back_its_certificate_only(store: &(impl CertificateRepo + EventOutbox)) {
    let learner = Uuid::new_v4();
    let issued = record(store, learner, "course-a", false, NOW).await;
    let failing = Deliverer::failing(&[issued.id], false);
    assert_eq!(store.deliver(DUE, &failing).await.unwrap().len(), 1);

    let reissued = record(store, learner, "course-a", true, NOW).await;
    let classmate = record(store, Uuid::new_v4(), "course-a", false, NOW).await;
    let deliverer = Deliverer::default();
    let handed = [reissued.clone(), classmate.clone()];
    let outcomes = store.deliver(Selection::Handed(&handed), &deliverer).await.unwrap();
    assert_eq!(published(&outcomes), [classmate.id], "the re-issue waits for the failed issue; its classmate does not");
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [issued.id], "the retry, alone");
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [reissued.id], "then the re-issue");
}

async fn a_dead_event_no_longer_holds_back_its_certificate(store: &(impl CertificateRepo + EventOutbox)) {
    let learner = Uuid::new_v4();
    let issued = record(store, learner, "course-a", false, NOW).await;
    store.deliver(DUE, &Deliverer::failing(&[issued.id], true)).await.unwrap();
    let reissued = record(store, learner, "course-a", true, NOW).await;
    let deliverer = Deliverer::default();
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [reissued.id], "dead events stay dead");
}

/// While one relay holds a batch, another (a replica's poller) passes it by.
struct Nested<'a, S> {
    store: &'a S,
    seen_by_other: Mutex<Option<Vec<Delivery>>>,
}

#[async_trait]
impl<S: EventOutbox> DeliverBatch for Nested<'_, S> {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        let other = self.store.deliver(DUE, &Deliverer::default()).await.expect("a concurrent batch");
        *self.seen_by_other.lock().unwrap() = Some(other);
        events.iter().map(|event| Delivery::Published { id: event.id }).collect()
    }
}

async fn a_held_batch_is_not_taken_by_another(store: &(impl CertificateRepo + EventOutbox)) {
    let held = record(store, Uuid::new_v4(), "course-a", false, NOW).await;
    let nested = Nested { store, seen_by_other: Mutex::new(None) };
    let outcomes = store.deliver(Selection::Handed(std::slice::from_ref(&held)), &nested).await.unwrap();
    assert_eq!(published(&outcomes), [held.id]);
    assert_eq!(nested.seen_by_other.lock().unwrap().as_deref(), Some(&[][..]), "the other batch found nothing");
    assert!(store.deliver(DUE, &Deliverer::default()).await.unwrap().is_empty(), "published once");
}
