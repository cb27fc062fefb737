//! The `IssueCertificate` use case: claim, call the upstreams, record the
//! certificate and its event together, and give the claim back on failure.
//!
//! One credential per certificate, even when an answer is lost: every
//! attempt of one issuance carries the same issuance id as a tag at the
//! credential service, and an attempt after one whose outcome is unknown (no
//! answer in time, a dropped connection, a holder that died) first looks for
//! a credential with that tag and records it instead of issuing another.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::HandOff;
use crate::model::IssuedCredential;
use crate::model::{CertificateEvent, FieldError, IssueRequest, RequestFields, StatusSlot, ValidationErrors};
use crate::ports::{
    Acquired, CertificateRepo, Claim, ClaimRequest, ClaimToken, Clock, CredentialIssuance, CredentialRequest,
    IdempotencyKey, IssuanceOutcome, IssuedCertificate, IssuedLookup, LearnerIdentity, Observer, PendingEvent,
    Randomness, RepoError, StatusListError, SystemRandomness, Upstream, UpstreamError,
};
use crate::use_cases::StatusAllocator;

#[derive(Debug, Clone, PartialEq)]
pub struct IssueCommand {
    pub request: IssueRequest,
    /// The caller's `Idempotency-Key`, when it sent one.
    pub idempotency_key: Option<String>,
}

/// The longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

impl IssueCommand {
    /// What the caller sent, checked: the request's fields, and its
    /// `Idempotency-Key` as the bytes that came (1 to 255 visible ASCII
    /// characters), which is checked first.
    pub fn parse(fields: RequestFields, idempotency_key: Option<&[u8]>) -> Result<Self, ValidationErrors> {
        let idempotency_key = idempotency_key.map(checked_idempotency_key).transpose()?;
        Ok(Self { request: IssueRequest::parse(fields)?, idempotency_key })
    }
}

fn checked_idempotency_key(sent: &[u8]) -> Result<String, ValidationErrors> {
    let visible = |byte: &u8| (0x20..0x7f).contains(byte) || *byte == b'\t';
    match sent.len() {
        // Visible ASCII is UTF-8: the conversion cannot lose anything.
        1..=MAX_IDEMPOTENCY_KEY_LEN if sent.iter().all(visible) => Ok(String::from_utf8_lossy(sent).into_owned()),
        _ => Err(ValidationErrors(vec![FieldError {
            field: "Idempotency-Key",
            message: "must be 1 to 255 visible ASCII characters",
        }])),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IssueOutcome {
    /// The issuer's answer, returned to the caller as it came.
    pub credential: IssuedCredential,
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
    /// What the caller sent breaks a rule; each failing field is named.
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("a certificate for this learner and course is being issued right now")]
    InFlight,
    #[error("this Idempotency-Key was already used with a different request")]
    KeyReused,
    /// The upstreams took so long that the claim's lease could run out
    /// before the credential call answered; the call was not sent, since a
    /// request that took the claim over could issue a second credential.
    #[error("the upstream services were too slow to issue within the issuance's claim; nothing was issued")]
    LeaseSpent,
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The status list store could not give the credential its entry.
    #[error(transparent)]
    StatusLists(#[from] StatusListError),
}

impl IssueError {
    /// How the metrics count this failure.
    pub fn outcome(&self) -> IssuanceOutcome {
        match self {
            IssueError::Invalid(_) => IssuanceOutcome::Invalid,
            IssueError::InFlight | IssueError::Repo(RepoError::ClaimLost) => IssuanceOutcome::Conflict,
            IssueError::KeyReused => IssuanceOutcome::KeyReused,
            IssueError::Upstream(_) | IssueError::LeaseSpent => IssuanceOutcome::UpstreamError,
            IssueError::Repo(_) | IssueError::StatusLists(_) => IssuanceOutcome::DatabaseError,
        }
    }
}

/// The credential roles an issuance asks for.
pub struct IssuanceRoles {
    pub identity: Arc<dyn LearnerIdentity>,
    pub issuance: Arc<dyn CredentialIssuance>,
    /// Finds what an issuance made when its answer was lost. An issuer that
    /// answers in process has none: a credential whose holder died before
    /// recording it is then issued again (nobody was ever given the first).
    pub lookup: Option<Arc<dyn IssuedLookup>>,
    /// Gives each credential its status list entry, for an issuer that
    /// publishes status lists (the built-in one); Sunbird RC publishes none.
    pub status: Option<Arc<StatusAllocator>>,
}

impl IssuanceRoles {
    /// Every role played by one adapter (a remote issuer, or a fake of one).
    pub fn played_by<A: LearnerIdentity + CredentialIssuance + IssuedLookup>(adapter: Arc<A>) -> Self {
        Self { identity: adapter.clone(), issuance: adapter.clone(), lookup: Some(adapter), status: None }
    }
}

/// How long a claim holds by default: longer than the upstream calls of an
/// issuance usually take, retries included, so that a live request keeps
/// its claim; slower ones give up before the credential call
/// (`IssueCertificate::with_issue_call_bound`).
const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(30);

pub struct IssueCertificate {
    repo: Arc<dyn CertificateRepo>,
    identity: Arc<dyn LearnerIdentity>,
    issuance: Arc<dyn CredentialIssuance>,
    /// `None` for an issuer whose answer cannot be lost (in process).
    lookup: Option<Arc<dyn IssuedLookup>>,
    status: Option<Arc<StatusAllocator>>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
    claim_lease: Duration,
    /// The longest a credential call can take, retries included.
    issue_call_bound: Duration,
    hand_off: Option<HandOff>,
    revoke_on_reissue: bool,
    /// Told how every issuance ended.
    observer: Arc<dyn Observer>,
}

impl IssueCertificate {
    pub fn new(
        repo: Arc<dyn CertificateRepo>,
        roles: IssuanceRoles,
        clock: Arc<dyn Clock>,
        observer: Arc<dyn Observer>,
    ) -> Self {
        let IssuanceRoles { identity, issuance, lookup, status } = roles;
        Self {
            repo,
            identity,
            issuance,
            lookup,
            status,
            clock,
            randomness: Arc::new(SystemRandomness),
            claim_lease: DEFAULT_CLAIM_LEASE,
            issue_call_bound: Duration::ZERO,
            hand_off: None,
            revoke_on_reissue: true,
            observer,
        }
    }

    /// Whether a re-issue revokes the credential it replaces (by default it does).
    pub fn with_revoke_on_reissue(mut self, revoke: bool) -> Self {
        self.revoke_on_reissue = revoke;
        self
    }

    pub fn with_claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// How long a credential call can take at most (zero, the default, for
    /// an issuer in process): an issuance whose claim has less lease left
    /// than this gives up before the call (`IssueError::LeaseSpent`).
    pub fn with_issue_call_bound(mut self, bound: Duration) -> Self {
        self.issue_call_bound = bound;
        self
    }

    /// Hands each recorded event to this process's relay, which publishes it
    /// at once; without one, the outbox poller publishes it.
    pub fn with_hand_off(mut self, hand_off: HandOff) -> Self {
        self.hand_off = Some(hand_off);
        self
    }

    /// Checks what the caller sent ([`IssueCommand::parse`]), then issues.
    pub async fn issue_sent(
        &self,
        fields: RequestFields,
        idempotency_key: Option<&[u8]>,
    ) -> Result<IssueOutcome, IssueError> {
        match IssueCommand::parse(fields, idempotency_key) {
            Ok(command) => self.issue(&command).await,
            Err(errors) => self.counted(Err(IssueError::Invalid(errors))),
        }
    }

    /// Issues, and tells the observer how it ended.
    pub async fn issue(&self, command: &IssueCommand) -> Result<IssueOutcome, IssueError> {
        let result = self.issue_checked(command).await;
        self.counted(result)
    }

    fn counted(&self, result: Result<IssueOutcome, IssueError>) -> Result<IssueOutcome, IssueError> {
        self.observer.issuance_ended(match &result {
            Ok(outcome) => outcome.outcome(),
            Err(error) => error.outcome(),
        });
        result
    }

    async fn issue_checked(&self, command: &IssueCommand) -> Result<IssueOutcome, IssueError> {
        let request = &command.request;
        let claim = ClaimRequest {
            user_id: request.user_id(),
            course_id: request.course_id(),
            idempotency_key: command
                .idempotency_key
                .as_deref()
                .map(|key| IdempotencyKey { key, fingerprint: request.fingerprint() }),
            reissue: request.reissue(),
            lease: self.claim_lease,
            new_issuance_id: self.randomness.new_id(),
        };
        // Taken before the claim is asked for, so that it never ends later
        // than the lease the repository counts.
        let lease_ends = self.clock.now() + self.claim_lease;
        let acquired = match self.repo.claim(claim).await? {
            Claim::Acquired(acquired) => acquired,
            Claim::AlreadyIssued(credential) => return Ok(IssueOutcome { credential: *credential, replayed: true }),
            Claim::InFlight => return Err(IssueError::InFlight),
            Claim::KeyReused => return Err(IssueError::KeyReused),
        };
        let credential = match self.obtain_credential(&acquired, request, lease_ends).await {
            Ok(credential) => credential,
            Err(error) => {
                let outcome_unknown = matches!(&error, IssueError::Upstream(error)
                    if error.upstream() == Upstream::Credential && error.outcome_unknown());
                self.release(acquired.token, &error, outcome_unknown).await;
                return Err(error);
            }
        };
        match self.record(&acquired, request, credential).await {
            Ok(credential) => Ok(IssueOutcome { credential, replayed: false }),
            Err(error) => {
                // The credential exists upstream: the next attempt must find
                // it, not issue another.
                self.release(acquired.token, &error, true).await;
                Err(error)
            }
        }
    }

    /// The credential of this issuance: an earlier attempt's, or a new one.
    async fn obtain_credential(
        &self,
        acquired: &Acquired,
        request: &IssueRequest,
        lease_ends: DateTime<Utc>,
    ) -> Result<IssuedCredential, IssueError> {
        match self.earlier_credential(acquired).await? {
            Some(credential) => Ok(credential),
            None => {
                let status = self.status_slot().await?;
                self.issue_credential(acquired.issuance_id, request, status, lease_ends).await
            }
        }
    }

    async fn record(
        &self,
        acquired: &Acquired,
        request: &IssueRequest,
        credential: IssuedCredential,
    ) -> Result<IssuedCredential, IssueError> {
        let event = self.event(request, &credential.certificate_id);
        let certificate =
            IssuedCertificate { request, credential: &credential, revoke_previous: self.revoke_on_reissue };
        let position = self.repo.record_issued(acquired.token, certificate, &event).await?;
        if let Some(hand_off) = &self.hand_off {
            hand_off.offer(PendingEvent::recorded(position, &event));
        }
        tracing::info!(
            user_id = %request.user_id(),
            course_id = %request.course_id(),
            event_id = %event.event_id,
            "certificate issued"
        );
        Ok(credential)
    }

    /// The credential an earlier attempt of this issuance made, when its
    /// outcome is unknown. A failed lookup fails the attempt: issuing anyway
    /// could make a second credential.
    async fn earlier_credential(&self, acquired: &Acquired) -> Result<Option<IssuedCredential>, UpstreamError> {
        let Some(lookup) = self.lookup.as_ref().filter(|_| acquired.look_first) else {
            return Ok(None);
        };
        let found = lookup.find_issued(acquired.issuance_id).await?;
        if found.is_some() {
            tracing::info!(issuance_id = %acquired.issuance_id, "an earlier attempt's credential was found; recording it");
        }
        Ok(found)
    }

    /// The status list entry of the credential about to be issued, when the
    /// issuer publishes lists (taken outside the record's transaction; most
    /// issuances take it from memory).
    async fn status_slot(&self) -> Result<Option<StatusSlot>, StatusListError> {
        match &self.status {
            Some(allocator) => Ok(Some(allocator.allocate().await?)),
            None => Ok(None),
        }
    }

    async fn issue_credential(
        &self,
        issuance_id: Uuid,
        request: &IssueRequest,
        status: Option<StatusSlot>,
        lease_ends: DateTime<Utc>,
    ) -> Result<IssuedCredential, IssueError> {
        let learner_did = self.identity.learner_did(request.user_id()).await?;
        if self.clock.now() + self.issue_call_bound >= lease_ends {
            tracing::warn!(%issuance_id, "the claim's lease could end before the credential call answers; not sending it");
            return Err(IssueError::LeaseSpent);
        }
        let issued_on = request.issued_on().map_or_else(|| self.clock.now().format("%B %Y").to_string(), str::to_owned);
        let issued = self
            .issuance
            .issue(CredentialRequest { learner_did: &learner_did, request, issued_on, issuance_id, status })
            .await;
        let credential = match issued {
            Err(error) if error.worth_looking_up_at_once() => self.look_up_lost_answer(issuance_id, error).await,
            other => other,
        };
        Ok(credential?)
    }

    /// The credential of an issue call whose answer was lost, if the
    /// credential service made it. The call itself is never sent again here:
    /// a second POST could make a second credential. Without a credential
    /// found, the attempt fails with the call's error and the next one looks
    /// again before issuing.
    async fn look_up_lost_answer(
        &self,
        issuance_id: Uuid,
        lost: UpstreamError,
    ) -> Result<IssuedCredential, UpstreamError> {
        let Some(lookup) = &self.lookup else {
            return Err(lost);
        };
        match lookup.find_issued(issuance_id).await {
            Ok(Some(credential)) => {
                tracing::info!(%issuance_id, error = %lost, "the issue call's answer was lost; its credential was found");
                Ok(credential)
            }
            Ok(None) => Err(lost),
            Err(lookup) => {
                tracing::warn!(%issuance_id, error = %lost, %lookup, "the issue call's answer was lost and the lookup failed");
                Err(lost)
            }
        }
    }

    /// The event, stamped once the credential is back (its publish lag starts
    /// at the commit, not before the upstream calls).
    fn event(&self, request: &IssueRequest, certificate_id: &str) -> CertificateEvent {
        let mut event =
            CertificateEvent::certificate_issued(request, certificate_id, self.randomness.new_id(), self.clock.now());
        if let Some(hand_off) = &self.hand_off {
            event.due_at = event.created_at + chrono::Duration::from_std(hand_off.window()).unwrap_or_default();
        }
        event
    }

    /// A claim that cannot be released now expires with its lease instead
    /// (and the next holder then looks first, as after a crash). With
    /// `outcome_unknown` a credential may exist upstream, and the next
    /// attempt of this issuance looks for it before issuing.
    async fn release(&self, token: ClaimToken, cause: &IssueError, outcome_unknown: bool) {
        if matches!(cause, IssueError::Repo(RepoError::ClaimLost)) {
            return;
        }
        if let Err(error) = self.repo.release(token, outcome_unknown).await {
            tracing::warn!(%error, "could not release an issuance claim; it expires with its lease");
        }
    }
}
