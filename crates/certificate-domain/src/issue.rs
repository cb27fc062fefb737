//! The `IssueCertificate` use case: claim, call the upstreams, record the
//! certificate and its event together, and give the claim back on failure.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::ports::{
    CertificateRepo, Claim, ClaimRequest, ClaimToken, Clock, CredentialIssuer, CredentialRequest, IdempotencyKey,
    IssuanceOutcome, IssuedCertificate, PendingEvent, Randomness, RepoError, SystemRandomness, UpstreamError,
};
use crate::{CertificateEvent, HandOff, IssueRequest};

#[derive(Debug, Clone, PartialEq)]
pub struct IssueCommand {
    pub request: IssueRequest,
    /// The caller's `Idempotency-Key`, when it sent one.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IssueOutcome {
    /// The credential service's answer, returned to the caller as is.
    pub credential: Value,
    /// True when this is the stored answer of an earlier issuance.
    pub replayed: bool,
}

impl IssueOutcome {
    pub fn outcome(&self) -> IssuanceOutcome {
        if self.replayed {
            IssuanceOutcome::Replayed
        } else {
            IssuanceOutcome::Issued
        }
    }
}

/// Why an issuance did not happen. In every case nothing was recorded and no
/// event was queued.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IssueError {
    #[error("a certificate for this learner and course is being issued right now")]
    InFlight,
    #[error("this Idempotency-Key was already used with a different request")]
    KeyReused,
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl IssueError {
    /// How the metrics count this failure.
    pub fn outcome(&self) -> IssuanceOutcome {
        match self {
            IssueError::InFlight | IssueError::Repo(RepoError::ClaimLost) => IssuanceOutcome::Conflict,
            IssueError::KeyReused => IssuanceOutcome::KeyReused,
            IssueError::Upstream(_) => IssuanceOutcome::UpstreamError,
            IssueError::Repo(_) => IssuanceOutcome::DatabaseError,
        }
    }
}

/// How long a claim holds by default: longer than both upstream calls with
/// their retries, so that a live request never loses its claim.
const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(30);

pub struct IssueCertificate {
    repo: Arc<dyn CertificateRepo>,
    issuer: Arc<dyn CredentialIssuer>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
    claim_lease: Duration,
    hand_off: Option<HandOff>,
}

impl IssueCertificate {
    pub fn new(repo: Arc<dyn CertificateRepo>, issuer: Arc<dyn CredentialIssuer>, clock: Arc<dyn Clock>) -> Self {
        Self {
            repo,
            issuer,
            clock,
            randomness: Arc::new(SystemRandomness),
            claim_lease: DEFAULT_CLAIM_LEASE,
            hand_off: None,
        }
    }

    /// Where event ids come from (random v4 ids by default).
    pub fn with_randomness(mut self, randomness: Arc<dyn Randomness>) -> Self {
        self.randomness = randomness;
        self
    }

    pub fn with_claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// Hands each recorded event to this process's relay, which publishes it
    /// at once; without one, the outbox poller publishes it.
    pub fn with_hand_off(mut self, hand_off: HandOff) -> Self {
        self.hand_off = Some(hand_off);
        self
    }

    pub async fn issue(&self, command: &IssueCommand) -> Result<IssueOutcome, IssueError> {
        let request = &command.request;
        let claim = ClaimRequest {
            user_id: request.user_id,
            course_id: &request.course_id,
            idempotency_key: command
                .idempotency_key
                .as_deref()
                .map(|key| IdempotencyKey { key, fingerprint: request.fingerprint() }),
            reissue: request.reissue,
            lease: self.claim_lease,
        };
        let token = match self.repo.claim(claim).await? {
            Claim::Acquired(token) => token,
            Claim::AlreadyIssued(credential) => return Ok(IssueOutcome { credential, replayed: true }),
            Claim::InFlight => return Err(IssueError::InFlight),
            Claim::KeyReused => return Err(IssueError::KeyReused),
        };
        match self.issue_claimed(token, request).await {
            Ok(credential) => Ok(IssueOutcome { credential, replayed: false }),
            Err(error) => {
                self.release(token, &error).await;
                Err(error)
            }
        }
    }

    async fn issue_claimed(&self, token: ClaimToken, request: &IssueRequest) -> Result<Value, IssueError> {
        let learner_did = self.issuer.generate_did(request.user_id).await?;
        let issued_on = request.issued_on.clone().unwrap_or_else(|| self.clock.now().format("%B %Y").to_string());
        let credential =
            self.issuer.issue_credential(CredentialRequest { learner_did: &learner_did, request, issued_on }).await?;
        let event = self.event(request, &credential.certificate_id);
        let position =
            self.repo.record_issued(token, IssuedCertificate { request, credential: &credential }, &event).await?;
        if let Some(hand_off) = &self.hand_off {
            hand_off.offer(PendingEvent::recorded(position, &event));
        }
        tracing::info!(
            user_id = %request.user_id,
            course_id = %request.course_id,
            event_id = %event.event_id,
            "certificate issued"
        );
        Ok(credential.body)
    }

    /// The event, stamped once the credential is back (its publish lag starts
    /// at the commit, not before the upstream calls).
    fn event(&self, request: &IssueRequest, certificate_id: &str) -> CertificateEvent {
        let mut event =
            CertificateEvent::certificate_issued(request, certificate_id, self.randomness.event_id(), self.clock.now());
        if let Some(hand_off) = &self.hand_off {
            event.due_at = event.created_at + chrono::Duration::from_std(hand_off.window()).unwrap_or_default();
        }
        event
    }

    /// A claim that cannot be released now expires with its lease instead.
    async fn release(&self, token: ClaimToken, cause: &IssueError) {
        if matches!(cause, IssueError::Repo(RepoError::ClaimLost)) {
            return;
        }
        if let Err(error) = self.repo.release(token).await {
            tracing::warn!(%error, "could not release an issuance claim; it expires with its lease");
        }
    }
}
