//! `CertificateRepo`: certificates and their issuance claims.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Cause;
use crate::model::{CertificateEvent, IssueRequest};
use crate::model::{IssuedCredential, RecordedCredential};

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
    AlreadyIssued(Box<IssuedCredential>),
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
    pub credential: IssuedCredential,
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
