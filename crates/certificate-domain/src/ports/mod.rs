//! The ports: what the domain needs from the outside world, and the errors it
//! understands from each. Adapters implement them; the use case, the relay and
//! the adapters that drive the service (HTTP, the operator commands) only ever
//! see these traits.
//!
//! Every error keeps the adapter's own error as its `source`, as a [`Cause`],
//! and has the variants its callers branch on.

mod admin;
mod health;
mod observe;
mod revocation;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{CertificateEvent, IssueRequest};

pub use admin::{OutboxAdmin, OutboxStatus, Pruned};
pub use health::{Dependency, NotReady};
pub use observe::{GaugeSource, Gauges, IssuanceOutcome, Observer, PoolUsage, Report, ServedRequest};
pub use revocation::{PendingRevocation, RevocationQueue};

/// An adapter's own error, kept as the `source` of a port's error. Shared, so
/// that the port errors stay `Clone` (a failed publish is recorded for every
/// event of its batch).
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// Wraps an adapter's error as a [`Cause`].
pub fn cause(error: impl std::error::Error + Send + Sync + 'static) -> Cause {
    Arc::new(error)
}

/// A [`Cause`] from a message, for adapters whose library reports failures as text.
pub fn cause_from(message: impl Into<String>) -> Cause {
    Arc::new(std::io::Error::other(message.into()))
}

/// Which upstream service a failure came from; named in the HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Identity,
    Credential,
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Upstream::Identity => "identity service",
            Upstream::Credential => "credential service",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("{upstream} answered HTTP {status}")]
    Rejected { upstream: Upstream, status: u16 },
    /// The request never reached the service (no connection could be made):
    /// nothing happened there.
    #[error("{upstream} is unreachable: {source}")]
    Unreachable { upstream: Upstream, source: Cause },
    /// The request was sent and the connection closed before an answer came:
    /// the service may have done what was asked.
    #[error("{upstream} closed the connection before answering: {source}")]
    AnswerLost { upstream: Upstream, source: Cause },
    #[error("{upstream} did not answer in time")]
    Timeout { upstream: Upstream },
    #[error("{upstream} sent an invalid response: {source}")]
    InvalidResponse { upstream: Upstream, source: Cause },
}

impl UpstreamError {
    pub fn upstream(&self) -> Upstream {
        match self {
            UpstreamError::Rejected { upstream, .. }
            | UpstreamError::Unreachable { upstream, .. }
            | UpstreamError::AnswerLost { upstream, .. }
            | UpstreamError::Timeout { upstream }
            | UpstreamError::InvalidResponse { upstream, .. } => *upstream,
        }
    }

    /// Whether the call may have taken effect although it failed: no answer
    /// in time, a dropped connection, an answer that could not be read, or a
    /// gateway's 502/503/504 (a proxy may answer so after it forwarded the
    /// request). Any other HTTP error status, and a request that never left,
    /// are known failures.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            UpstreamError::Rejected { status, .. } => is_gateway_status(*status),
            UpstreamError::Unreachable { .. } => false,
            UpstreamError::AnswerLost { .. }
            | UpstreamError::Timeout { .. }
            | UpstreamError::InvalidResponse { .. } => true,
        }
    }

    /// Whether what the call did is worth looking up at once: every unknown
    /// outcome but our own timeout, after which the service is likely still
    /// working on it (the next attempt looks instead).
    pub fn worth_looking_up_at_once(&self) -> bool {
        self.outcome_unknown() && !matches!(self, UpstreamError::Timeout { .. })
    }
}

/// 502, 503 and 504: what a gateway answers when its backend failed it.
pub fn is_gateway_status(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// What the credential service needs to issue the learner's credential.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialRequest<'a> {
    pub learner_did: &'a str,
    pub request: &'a IssueRequest,
    /// The text shown on the certificate: the request's `issuedOn`, or the month of issue ("November 2026").
    pub issued_on: String,
    /// Sent along as the tag `issuance:<id>`, so that a credential whose
    /// answer was lost can be found again.
    pub issuance_id: Uuid,
}

/// The tag an issuance's credentials carry at the credential service.
pub fn issuance_tag(issuance_id: Uuid) -> String {
    format!("issuance:{issuance_id}")
}

/// The credential service's answer: the body is returned to the caller as is.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredential {
    pub certificate_id: String,
    pub body: Value,
}

/// A credential as this service recorded it: the issue answer's body
/// (`{"credential": ...}`), and whether a re-issue superseded it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCredential {
    pub body: Value,
    pub revoked: bool,
}

/// The credential service's verdict on a credential, passed on as it
/// answers: `{"status": "ISSUED" | "REVOKED" | ..., "checks": [...]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification(pub Value);

/// The checks of a verdict, each true when it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    pub active: bool,
    pub not_revoked: bool,
    pub not_expired: bool,
    pub proof: bool,
}

impl Verification {
    /// A verdict in Sunbird RC's shape, for an issuer that judges itself.
    pub fn judged(status: &str, checks: Checks) -> Self {
        let ok = |passes: bool| if passes { "OK" } else { "NOK" };
        Verification(json!({
            "status": status,
            "checks": [{
                "active": ok(checks.active),
                "revoked": ok(checks.not_revoked),
                "expired": ok(checks.not_expired),
                "proof": ok(checks.proof),
            }],
        }))
    }
}

/// The identity service (learner DIDs) and the credential service.
#[async_trait]
pub trait CredentialIssuer: Send + Sync + 'static {
    async fn generate_did(&self, user_id: Uuid) -> Result<String, UpstreamError>;
    /// Issues a credential tagged with the request's issuance id.
    async fn issue_credential(&self, request: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError>;
    /// The newest credential tagged with this issuance id, if the credential
    /// service holds one, in the shape `issue_credential` answers with.
    async fn find_issued(&self, issuance_id: Uuid) -> Result<Option<IssuedCredential>, UpstreamError>;
    /// Revokes a credential; one that is already revoked or unknown counts as revoked.
    async fn revoke(&self, certificate_id: &str) -> Result<(), UpstreamError>;
    /// Checks a credential (proof, expiry, revocation); `None` when the
    /// issuer does not know the id. `recorded` is the credential as this
    /// service recorded it, if it did: an issuer that verifies offline checks
    /// that; one that keeps its own records asks by id.
    async fn verify(
        &self,
        certificate_id: &str,
        recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verification>, UpstreamError>;
}

/// Why the certificate repository could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RepoError {
    /// The database cannot be reached or did not answer in time: worth
    /// trying again later (HTTP 503).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// Another request took this issuance over after our claim expired.
    #[error("the claim on this issuance was lost")]
    ClaimLost,
    /// The database refused the statement: a defect, not an outage.
    #[error("database error: {0}")]
    Failed(#[source] Cause),
}

/// Why the outbox (delivery or administration) could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OutboxError {
    /// The database cannot be reached or did not answer in time.
    #[error("outbox unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// The database refused the statement.
    #[error("outbox error: {0}")]
    Failed(#[source] Cause),
}

/// Proof that this request holds the issuance of one (userId, courseId).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(pub Uuid);

/// The caller's `Idempotency-Key` and the request it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyKey<'a> {
    pub key: &'a str,
    /// Canonical form of the request, compared when the key is used again.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRequest<'a> {
    pub user_id: Uuid,
    pub course_id: &'a str,
    pub idempotency_key: Option<IdempotencyKey<'a>>,
    pub reissue: bool,
    /// How long the claim holds before another request may take it over.
    pub lease: Duration,
    /// The issuance id if this claim starts a new issuance: the first of this
    /// learner and course, or a re-issue after a recorded credential. A claim
    /// that continues an issuance whose outcome is unknown keeps its id.
    pub new_issuance_id: Uuid,
}

/// The right to issue, with what the holder must know about earlier attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acquired {
    pub token: ClaimToken,
    /// One id for every attempt of one issuance, across releases and crashes.
    pub issuance_id: Uuid,
    /// An earlier attempt of this issuance may have made a credential (its
    /// answer was lost, or its holder died): look it up before issuing.
    pub look_first: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Go ahead: call the upstreams, then `record_issued` or `release`.
    Acquired(Acquired),
    /// Issued before: this is the credential service's answer from then.
    AlreadyIssued(Value),
    /// Another request is issuing it right now.
    InFlight,
    /// The idempotency key was used before with a different request.
    KeyReused,
}

/// The certificate as it is recorded once the credential came back.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCertificate<'a> {
    pub request: &'a IssueRequest,
    pub credential: &'a IssuedCredential,
    /// Queue the revocation of the credential this one replaces, if any.
    pub revoke_previous: bool,
}

/// A certificate as recorded, for whoever reads it back.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCertificate {
    pub certificate_id: String,
    pub status: String,
    pub issued_on: Option<DateTime<Utc>>,
    /// The credential service's answer when it was issued.
    pub credential: Value,
}

/// Certificates and their issuance claims.
#[async_trait]
pub trait CertificateRepo: Send + Sync + 'static {
    /// The issued certificate of this learner and course, if there is one
    /// (an enrolled learner's row without a certificate is none).
    async fn find(&self, user_id: Uuid, course_id: &str) -> Result<Option<RecordedCertificate>, RepoError>;
    /// The credential recorded under this certificate id: the current one of
    /// its learner and course, or one a re-issue superseded and queued for
    /// revocation (then `revoked`).
    async fn find_credential(&self, certificate_id: &str) -> Result<Option<RecordedCredential>, RepoError>;
    async fn claim(&self, claim: ClaimRequest<'_>) -> Result<Claim, RepoError>;
    /// Gives the claim up after a failed issuance; a previous certificate
    /// stays. With `outcome_unknown`, the next claim of this issuance keeps
    /// its id and is told to look first (until a credential is recorded).
    async fn release(&self, token: ClaimToken, outcome_unknown: bool) -> Result<(), RepoError>;
    /// Atomically: the certificate row (status `viewCertificate`), the claim
    /// marked issued with the credential, the event in the outbox, due for
    /// the outbox poller at `event.due_at`, and (if asked) the revocation of
    /// the credential it replaces. Returns the event's position in the outbox.
    async fn record_issued(
        &self,
        token: ClaimToken,
        certificate: IssuedCertificate<'_>,
        event: &CertificateEvent,
    ) -> Result<i64, RepoError>;
}

/// An event taken from the outbox for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub id: i64,
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub key: String,
    pub payload: String,
    /// When it was queued for delivery (by the issuance, or again by an
    /// operator's replay or retry): the start of its publish lag.
    pub recorded_at: DateTime<Utc>,
    /// Failed deliveries so far.
    pub attempts: u32,
}

impl PendingEvent {
    /// The event as the process that recorded it hands it to its relay.
    pub fn recorded(id: i64, event: &CertificateEvent) -> Self {
        Self {
            id,
            event_id: event.event_id,
            user_id: event.user_id,
            key: event.key.clone(),
            payload: event.payload.clone(),
            recorded_at: event.created_at,
            attempts: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDelivery {
    pub id: i64,
    pub error: String,
    /// `None` sends the event to dead-letter.
    pub retry_at: Option<DateTime<Utc>>,
}

/// What became of one event of a delivery batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Published { id: i64 },
    Failed(FailedDelivery),
}

/// Which events a delivery batch is about.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Events this process has just recorded, handed over in memory.
    Handed(&'a [PendingEvent]),
    /// The oldest due events, whoever recorded them: what a crash, a broker
    /// outage or another replica left behind, and failed deliveries whose
    /// retry time has come.
    Due { limit: usize },
}

/// Publishes the events of one batch and says what became of each, in the
/// order given: the relay, as the outbox calls it back.
#[async_trait]
pub trait DeliverBatch: Send + Sync {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery>;
}

/// The transactional outbox, as the relay sees it.
#[async_trait]
pub trait EventOutbox: Send + Sync + 'static {
    /// Holds the selected events that may go out now, hands them to
    /// `deliverer` in the order they were recorded and records what it says,
    /// as one unit: while a batch is held no other relay (replica) takes its
    /// events, and if the process dies before the outcome is recorded the
    /// events stay undelivered. An event may go out only when no older event
    /// of the same certificate (`userId` and key) is still undelivered; events
    /// of other learners of the same key are not held back. Writes nothing for
    /// a held event but its outcome. Returns the outcomes recorded.
    async fn deliver(
        &self,
        selection: Selection<'_>,
        deliverer: &dyn DeliverBatch,
    ) -> Result<Vec<Delivery>, OutboxError>;
}

/// Why one event was not delivered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    #[error("broker unavailable: {0}")]
    Unavailable(#[source] Cause),
    #[error("not acknowledged in time")]
    Timeout,
    #[error("rejected by the broker: {0}")]
    Rejected(#[source] Cause),
    /// The broker refused the record itself (it breaks the topic's schema):
    /// sending it again cannot succeed, so it goes to dead-letter at once.
    #[error("refused by the broker as an invalid record: {0}")]
    InvalidRecord(#[source] Cause),
}

impl PublishError {
    /// Every `reason()`, so that a counter by reason can start at zero.
    pub const REASONS: [&'static str; 4] = ["unavailable", "timeout", "rejected", "invalid_record"];

    /// The failure's name in the metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            PublishError::Unavailable(_) => "unavailable",
            PublishError::Timeout => "timeout",
            PublishError::Rejected(_) => "rejected",
            PublishError::InvalidRecord(_) => "invalid_record",
        }
    }
}

/// Sends events to the rest of the platform (Kafka in production).
#[async_trait]
pub trait CertificatePublisher: Send + Sync + 'static {
    /// Sends the events and waits until each is acknowledged or failed; the
    /// answer has one result per event, in order.
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>>;

    /// Waits up to `timeout` for whatever the client still buffers; called
    /// once, at shutdown, after the last delivery.
    async fn flush(&self, _timeout: Duration) {}
}

/// The current time, injected so that tests can fix it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Ids (events, issuances) and retry jitter, injected like the clock so that
/// tests can fix them.
pub trait Randomness: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
    /// A fraction in `[0, 1)`, spreading retries so that replicas do not retry in step.
    fn jitter(&self) -> f64;
}

/// Random v4 event ids and jitter from the thread's generator.
pub struct SystemRandomness;

impl Randomness for SystemRandomness {
    fn new_id(&self) -> Uuid {
        Uuid::new_v4()
    }

    fn jitter(&self) -> f64 {
        rand::random()
    }
}
