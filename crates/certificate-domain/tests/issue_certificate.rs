//! The use case and the relay driven through in-memory fakes of every port.

use std::sync::Arc;
use std::time::Duration;

use certificate_domain::ports::{
    cause_from, CertificateRepo, Claim, ClaimRequest, ClaimToken, IssuedCertificate, PublishError, RecordedCertificate,
    Refusal, RepoError, SystemClock, Upstream, UpstreamError,
};
use certificate_domain::{
    hand_off, CertificateEvent, IssuanceRoles, IssueCertificate, IssueCommand, IssueError, IssueRequest, OutboxRelay,
    RelayPolicy, RequestFields, RevocationDelivery,
};
use certificate_domain::{IssuedCredential, RecordedCredential};
use certificate_memory::doubles::{FakeCredentialIssuer, FixedClock, RecordingObserver, RecordingPublisher};
use certificate_memory::embedded::InMemoryStore;
use serde_json::{json, Value};

struct World {
    store: Arc<InMemoryStore>,
    issuer: Arc<FakeCredentialIssuer>,
    publisher: Arc<RecordingPublisher>,
    observer: Arc<RecordingObserver>,
    use_case: IssueCertificate,
    relay: OutboxRelay,
}

fn world() -> World {
    let store = Arc::new(InMemoryStore::new());
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let publisher = Arc::new(RecordingPublisher::new());
    let clock = Arc::new(FixedClock("2026-11-26T10:00:00Z".parse().unwrap()));
    let (hand_off, handed) = hand_off(100, Duration::from_secs(1));
    let observer = Arc::new(RecordingObserver::default());
    let roles = IssuanceRoles::played_by(issuer.clone());
    let use_case = IssueCertificate::new(store.clone(), roles, clock.clone(), observer.clone()).with_hand_off(hand_off);
    let policy = RelayPolicy { max_attempts: 2, base_backoff: Duration::ZERO, ..RelayPolicy::default() };
    let relay = OutboxRelay::new(store.clone(), publisher.clone(), clock, policy).with_handed_events(handed);
    World { store, issuer, publisher, observer, use_case, relay }
}

fn request(extra: Value) -> IssueRequest {
    let mut body = json!({
        "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_1",
        "courseName": "Intro", "firstName": "John", "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2026-10-13T00:00:00.000Z"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    IssueRequest::parse(serde_json::from_value::<RequestFields>(body).unwrap()).unwrap()
}

/// An observer no test of that use case reads.
fn observed() -> Arc<RecordingObserver> {
    Arc::new(RecordingObserver::default())
}

fn command(extra: Value) -> IssueCommand {
    IssueCommand { request: request(extra), idempotency_key: None }
}

/// The id in the issuer's answer, as the caller reads it.
fn certificate_id(credential: &IssuedCredential) -> String {
    credential.answer_json()["credential"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn success_records_the_certificate_and_queues_one_event() {
    let w = world();
    let outcome = w.use_case.issue(&command(json!({}))).await.unwrap();
    assert!(!outcome.replayed);
    assert_eq!(outcome.credential.answer_json()["credential"]["credentialSubject"]["issuedOn"], "November 2026");

    let request = request(json!({}));
    let stored = w.store.certificate(request.user_id(), "do_1").unwrap();
    assert_eq!(stored.status, "viewCertificate");
    assert_eq!(stored.certificate_id, certificate_id(&outcome.credential));
    let events = w.store.events();
    assert_eq!(events.len(), 1);
    let payload: Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(payload["data"]["certificateId"], stored.certificate_id);

    let report = w.relay.relay_due().await.unwrap();
    assert_eq!(report.published, 1);
    assert_eq!(w.publisher.sent()[0].event_id, events[0].event_id);
    assert_eq!(w.store.pending_count(), 0);
}

async fn assert_upstream_failure_leaves_nothing(fail: impl FnOnce(&FakeCredentialIssuer), expected: UpstreamError) {
    let w = world();
    fail(&w.issuer);
    let error = w.use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(matches!(error, IssueError::Upstream(_)), "{error:?}");
    assert_eq!(error.to_string(), expected.to_string());
    assert_eq!(w.store.certificate_count(), 0);
    assert!(w.store.events().is_empty());
    // The claim was released: the next attempt goes through.
    w.use_case.issue(&command(json!({}))).await.unwrap();
    assert_eq!(w.issuer.credentials_issued(), 1);
}

#[tokio::test]
async fn a_failing_identity_service_stores_nothing() {
    let error = UpstreamError::Timeout { upstream: Upstream::Identity };
    assert_upstream_failure_leaves_nothing(|issuer| issuer.fail_next_did(error.clone()), error.clone()).await;
}

#[tokio::test]
async fn a_failing_credential_service_stores_nothing() {
    let error = FakeCredentialIssuer::unavailable(Upstream::Credential);
    assert_upstream_failure_leaves_nothing(|issuer| issuer.fail_next_credential(error.clone()), error.clone()).await;
}

#[tokio::test]
async fn a_failing_repo_fails_the_issuance_before_any_upstream_call() {
    let w = world();
    w.store.set_unavailable(true);
    let error = w.use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(matches!(error, IssueError::Repo(RepoError::Unavailable(_))), "{error:?}");
    assert_eq!(w.issuer.credentials_issued(), 0);
}

#[tokio::test]
async fn a_failing_publisher_does_not_fail_the_issuance_and_the_event_is_retried() {
    let w = world();
    w.publisher.fail_next(PublishError::Unavailable(cause_from("broker down")), 1);
    w.use_case.issue(&command(json!({}))).await.unwrap();

    let first = w.relay.relay_due().await.unwrap();
    assert_eq!((first.published, first.failed), (0, 1));
    assert_eq!(w.store.pending_count(), 1);

    let second = w.relay.relay_due().await.unwrap();
    assert_eq!(second.published, 1);
    assert_eq!(w.publisher.sent().len(), 1);
}

#[tokio::test]
async fn an_event_that_keeps_failing_goes_to_dead_letter() {
    let w = world();
    w.publisher.fail_next(PublishError::Timeout, 2);
    w.use_case.issue(&command(json!({}))).await.unwrap();
    w.relay.relay_due().await.unwrap();
    let last = w.relay.relay_due().await.unwrap();
    assert_eq!(last.dead, 1);
    assert_eq!(w.store.dead_count(), 1);
    assert_eq!(w.relay.relay_due().await.unwrap().handled(), 0);
}

#[tokio::test]
async fn a_repeat_returns_the_stored_credential_without_calling_upstream() {
    let w = world();
    let first = w.use_case.issue(&command(json!({}))).await.unwrap();
    let again = w.use_case.issue(&command(json!({}))).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.credential, first.credential);
    assert_eq!(w.issuer.credentials_issued(), 1);
    assert_eq!(w.store.events().len(), 1);
}

#[tokio::test]
async fn a_reissue_issues_a_new_credential_and_a_new_event() {
    let w = world();
    let first = w.use_case.issue(&command(json!({}))).await.unwrap();
    let second = w.use_case.issue(&command(json!({"reissue": true}))).await.unwrap();
    assert_ne!(certificate_id(&first.credential), certificate_id(&second.credential));
    assert_eq!(w.issuer.credentials_issued(), 2);
    assert_eq!(w.store.events().len(), 2);
}

#[tokio::test]
async fn an_issuance_in_flight_answers_in_flight() {
    let w = world();
    let request = request(json!({}));
    let claim = ClaimRequest {
        user_id: request.user_id(),
        course_id: request.course_id(),
        idempotency_key: None,
        reissue: false,
        lease: Duration::from_secs(30),
        new_issuance_id: uuid::Uuid::new_v4(),
    };
    assert!(matches!(w.store.claim(claim).await.unwrap(), Claim::Acquired(_)));
    assert!(matches!(w.use_case.issue(&command(json!({}))).await.unwrap_err(), IssueError::InFlight));
    assert_eq!(w.issuer.credentials_issued(), 0);
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_refused() {
    let w = world();
    let keyed = |extra| IssueCommand { idempotency_key: Some("key-1".into()), ..command(extra) };
    w.use_case.issue(&keyed(json!({}))).await.unwrap();
    assert!(w.use_case.issue(&keyed(json!({}))).await.unwrap().replayed);
    let error = w.use_case.issue(&keyed(json!({"courseName": "Other"}))).await.unwrap_err();
    assert!(matches!(error, IssueError::KeyReused), "{error:?}");
}

#[tokio::test]
async fn an_issued_event_is_handed_to_the_relay_at_once() {
    let w = world();
    w.use_case.issue(&command(json!({}))).await.unwrap();
    let handed = w.relay.next_handed().await;
    assert_eq!(handed.len(), 1);
    assert_eq!(handed[0].event_id, w.store.events()[0].event_id);

    assert_eq!(w.relay.relay_handed(&handed).await.unwrap().published, 1);
    assert_eq!(w.store.pending_count(), 0);
    assert_eq!(w.relay.relay_due().await.unwrap().handled(), 0, "published once, not again by the poller");
}

#[tokio::test]
async fn a_failed_event_holds_back_later_events_of_its_certificate_only() {
    let w = world();
    w.publisher.fail_next(PublishError::Unavailable(cause_from("broker hiccup")), 1);
    w.use_case.issue(&command(json!({}))).await.unwrap();
    let first = w.relay.next_handed().await;
    assert_eq!(w.relay.relay_handed(&first).await.unwrap().failed, 1);

    w.use_case.issue(&command(json!({"reissue": true}))).await.unwrap();
    let other_learner = json!({"userId": "0b7b3e4e-6f5b-4a55-9d2e-3f1c2a9e8d11"});
    w.use_case.issue(&command(other_learner)).await.unwrap();
    let handed = w.relay.next_handed().await;
    assert_eq!(handed.len(), 2);
    let report = w.relay.relay_handed(&handed).await.unwrap();
    assert_eq!(report.published, 1, "the other learner of the course goes out; the re-issue waits");

    assert_eq!(w.relay.relay_due().await.unwrap().published, 1, "the retry, without the re-issue behind it");
    assert_eq!(w.relay.relay_due().await.unwrap().published, 1, "then the re-issue");
    let events = w.store.events();
    let sent: Vec<_> = w.publisher.sent().iter().map(|event| event.event_id).collect();
    assert_eq!(sent, [events[2].event_id, events[0].event_id, events[1].event_id]);
}

#[tokio::test]
async fn a_lost_answer_is_found_by_the_retry_and_recorded_instead_of_issuing_again() {
    let w = world();
    w.issuer.lose_next_answer();
    let error = w.use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(matches!(error, IssueError::Upstream(UpstreamError::Timeout { .. })), "{error:?}");
    assert_eq!((w.issuer.credentials_issued(), w.store.certificate_count()), (1, 0), "made upstream, not recorded");

    let retried = w.use_case.issue(&command(json!({}))).await.unwrap();
    assert_eq!(w.issuer.credentials_issued(), 1, "the retry found the credential instead of issuing another");
    let stored = w.store.certificate(request(json!({})).user_id(), "do_1").unwrap();
    assert_eq!(stored.certificate_id, certificate_id(&retried.credential));
    assert_eq!(w.store.events().len(), 1);
}

#[tokio::test]
async fn a_failed_lookup_issues_nothing_and_the_next_retry_succeeds_once() {
    let w = world();
    w.issuer.lose_next_answer();
    w.use_case.issue(&command(json!({}))).await.unwrap_err();
    w.issuer.fail_next_lookup(UpstreamError::Timeout { upstream: Upstream::Credential });
    let error = w.use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(matches!(error, IssueError::Upstream(UpstreamError::Timeout { .. })), "{error:?}");
    assert_eq!((w.issuer.credentials_issued(), w.store.certificate_count()), (1, 0));

    w.use_case.issue(&command(json!({}))).await.unwrap();
    assert_eq!((w.issuer.credentials_issued(), w.store.certificate_count()), (1, 1));
}

#[tokio::test]
async fn a_dropped_answer_is_looked_up_at_once_and_recorded_without_a_second_post() {
    let w = world();
    let dropped = UpstreamError::AnswerLost { upstream: Upstream::Credential, source: cause_from("reset") };
    w.issuer.lose_next_answer_as(dropped);
    let issued = w.use_case.issue(&command(json!({}))).await.expect("the lookup found the credential");
    assert_eq!((w.issuer.credentials_issued(), w.store.certificate_count()), (1, 1));
    let stored = w.store.certificate(request(json!({})).user_id(), "do_1").unwrap();
    assert_eq!(stored.certificate_id, certificate_id(&issued.credential));
}

#[tokio::test]
async fn a_gateway_error_with_nothing_issued_fails_and_the_next_attempt_looks_first() {
    let w = world();
    w.issuer.fail_next_credential(UpstreamError::Refused {
        upstream: Upstream::Credential,
        answer: "HTTP 502".to_owned(),
        refusal: Refusal::ByGateway,
    });
    let error = w.use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(
        matches!(error, IssueError::Upstream(UpstreamError::Refused { refusal: Refusal::ByGateway, .. })),
        "{error:?}"
    );
    assert_eq!(w.issuer.credentials_issued(), 0, "looked up, found nothing, not sent again");

    w.issuer.fail_next_lookup(FakeCredentialIssuer::unavailable(Upstream::Credential));
    w.use_case.issue(&command(json!({}))).await.expect_err("the next attempt looked first, and met the failure");
    w.use_case.issue(&command(json!({}))).await.unwrap();
    assert_eq!((w.issuer.credentials_issued(), w.store.certificate_count()), (1, 1));
}

/// The in-memory store, whose next `record_issued` fails as an outage would.
struct RecordFailsOnce {
    store: Arc<InMemoryStore>,
    failed: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl CertificateRepo for RecordFailsOnce {
    async fn find(&self, user_id: uuid::Uuid, course_id: &str) -> Result<Option<RecordedCertificate>, RepoError> {
        self.store.find(user_id, course_id).await
    }
    async fn find_credential(&self, certificate_id: &str) -> Result<Option<RecordedCredential>, RepoError> {
        self.store.find_credential(certificate_id).await
    }
    async fn claim(&self, claim: ClaimRequest<'_>) -> Result<Claim, RepoError> {
        self.store.claim(claim).await
    }
    async fn release(&self, token: ClaimToken, outcome_unknown: bool) -> Result<(), RepoError> {
        self.store.release(token, outcome_unknown).await
    }
    async fn record_issued(
        &self,
        token: ClaimToken,
        certificate: IssuedCertificate<'_>,
        event: &CertificateEvent,
    ) -> Result<i64, RepoError> {
        if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(RepoError::Unavailable(cause_from("the database went away")));
        }
        self.store.record_issued(token, certificate, event).await
    }
}

#[tokio::test]
async fn a_credential_that_could_not_be_recorded_is_found_by_the_next_attempt_not_issued_again() {
    let store = Arc::new(InMemoryStore::new());
    let repo = Arc::new(RecordFailsOnce { store: store.clone(), failed: false.into() });
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let use_case =
        IssueCertificate::new(repo, IssuanceRoles::played_by(issuer.clone()), Arc::new(SystemClock), observed());
    let error = use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(matches!(error, IssueError::Repo(RepoError::Unavailable(_))), "{error:?}");

    use_case.issue(&command(json!({}))).await.unwrap();
    assert_eq!((issuer.credentials_issued(), store.certificate_count()), (1, 1), "one credential, recorded");
}

#[tokio::test]
async fn a_known_failure_needs_no_lookup() {
    let w = world();
    w.issuer.fail_next_credential(FakeCredentialIssuer::unavailable(Upstream::Credential));
    w.issuer.fail_next_lookup(FakeCredentialIssuer::unavailable(Upstream::Credential));
    w.use_case.issue(&command(json!({}))).await.unwrap_err();
    w.use_case.issue(&command(json!({}))).await.expect("no lookup was made, so its failure was not met");
}

#[tokio::test]
async fn a_reissue_revokes_the_credential_it_supersedes_once_the_service_accepts() {
    let w = world();
    let first = w.use_case.issue(&command(json!({}))).await.unwrap();
    w.use_case.issue(&command(json!({"reissue": true}))).await.unwrap();
    let clock = Arc::new(FixedClock("2026-11-26T10:00:00Z".parse().unwrap()));
    let policy = RelayPolicy { base_backoff: Duration::ZERO, ..RelayPolicy::default() };
    let revocations = RevocationDelivery::new(w.store.clone(), w.issuer.clone(), clock, policy);
    w.issuer.fail_next_revoke(FakeCredentialIssuer::unavailable(Upstream::Credential));
    assert_eq!(revocations.revoke_due().await.unwrap(), 0);
    assert!(w.issuer.revoked().is_empty());
    assert_eq!(revocations.revoke_due().await.unwrap(), 1, "retried");
    assert_eq!(w.issuer.revoked(), [certificate_id(&first.credential)]);
    assert_eq!(w.store.revocations_pending(), 0);
}

#[tokio::test]
async fn a_reissue_keeps_the_superseded_credential_when_revoking_is_off() {
    let w = world();
    let use_case = IssueCertificate::new(
        w.store.clone(),
        IssuanceRoles::played_by(w.issuer.clone()),
        Arc::new(SystemClock),
        observed(),
    )
    .with_revoke_on_reissue(false);
    use_case.issue(&command(json!({}))).await.unwrap();
    use_case.issue(&command(json!({"reissue": true}))).await.unwrap();
    assert_eq!(w.store.revocations_pending(), 0);
}

#[tokio::test]
async fn a_batch_refused_as_invalid_is_sent_again_one_by_one_and_only_the_bad_record_dies() {
    let w = world();
    w.use_case.issue(&command(json!({}))).await.unwrap();
    w.use_case.issue(&command(json!({"userId": "0b5f3c1e-4d9a-4f8e-9a51-7c2d1e6b3a90"}))).await.unwrap();
    // The broker refuses the whole batch, then the first event again when it is alone.
    w.publisher.fail_next(PublishError::InvalidRecord(cause_from("Broker failed to validate record")), 3);

    let report = w.relay.relay_due().await.unwrap();

    assert_eq!((report.published, report.dead), (1, 1), "{report:?}");
    assert_eq!(w.store.dead_count(), 1);
    assert_eq!(w.store.pending_count(), 0, "the good event was published, not held back");
}

/// The fake's identity role, answering after `delay`.
struct SlowIdentity {
    issuer: Arc<FakeCredentialIssuer>,
    delay: std::sync::Mutex<Duration>,
}

#[async_trait::async_trait]
impl certificate_domain::ports::LearnerIdentity for SlowIdentity {
    async fn learner_did(&self, user_id: uuid::Uuid) -> Result<String, UpstreamError> {
        let delay = *self.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        certificate_domain::ports::LearnerIdentity::learner_did(&*self.issuer, user_id).await
    }
}

/// The soak's finding (RELIABILITY.md): a request whose claim expired while
/// it waited on the identity service still sent its credential call, and a
/// duplicate that had taken the claim over issued too. Now a request that
/// cannot be sure its claim outlasts the call does not send it.
#[tokio::test]
async fn an_issuance_without_lease_left_for_the_credential_call_gives_up_before_it() {
    let store = Arc::new(InMemoryStore::new());
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let identity = Arc::new(SlowIdentity { issuer: issuer.clone(), delay: Duration::from_millis(600).into() });
    let mut roles = IssuanceRoles::played_by(issuer.clone());
    roles.identity = identity.clone();
    let use_case = IssueCertificate::new(store.clone(), roles, Arc::new(SystemClock), observed())
        .with_claim_lease(Duration::from_secs(1))
        .with_issue_call_bound(Duration::from_millis(500));

    let error = use_case.issue(&command(json!({}))).await.unwrap_err();
    assert!(matches!(error, IssueError::LeaseSpent), "{error:?}");
    assert_eq!(issuer.credentials_issued(), 0, "the credential call was not sent");
    assert_eq!((store.certificate_count(), store.events().len()), (0, 0));

    *identity.delay.lock().unwrap() = Duration::from_millis(400);
    use_case.issue(&command(json!({}))).await.expect("with room left for the call, the retry issues");
    assert_eq!(issuer.credentials_issued(), 1);
}

#[tokio::test]
async fn the_use_case_counts_how_each_issuance_ended_invalid_ones_included() {
    let w = world();
    w.use_case.issue(&command(json!({}))).await.unwrap();
    w.use_case.issue(&command(json!({}))).await.unwrap();
    let fields: RequestFields = serde_json::from_value(json!({"userId": "not-a-uuid"})).unwrap();
    let invalid = w.use_case.issue_sent(fields, None).await.unwrap_err();
    assert!(matches!(&invalid, IssueError::Invalid(errors) if errors.0.iter().any(|e| e.field == "userId")));
    let fields: RequestFields = serde_json::from_value(json!({})).unwrap();
    let bad_key = w.use_case.issue_sent(fields, Some(b"caf\xc3\xa9")).await.unwrap_err();
    assert!(matches!(&bad_key, IssueError::Invalid(errors) if errors.0[0].field == "Idempotency-Key"), "{bad_key}");
    w.issuer.fail_next_credential(UpstreamError::Refused {
        upstream: Upstream::Credential,
        answer: "HTTP 400".to_owned(),
        refusal: Refusal::Other,
    });
    let mut again = command(json!({"courseId": "do_2"}));
    again.idempotency_key = Some("k".into());
    w.use_case.issue(&again).await.unwrap_err();
    use certificate_domain::ports::IssuanceOutcome as Ended;
    let expected = [Ended::Issued, Ended::Replayed, Ended::Invalid, Ended::Invalid, Ended::UpstreamError];
    assert_eq!(w.observer.outcomes(), expected);
}
