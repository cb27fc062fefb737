//! The embedded default's store: every table of certificate-postgres as
//! rows under one mutex, so that what Postgres does in one transaction
//! happens here under one lock. This file holds the state and its rules;
//! each port's implementation is a file of store/, as in certificate-postgres.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use certificate_domain::ports::{
    cause, Acquired, AdminError, Claim, ClaimRequest, ClaimToken, Delivery, GaugeError, JobStoreError, OutboxError,
    PendingEvent, RepoError, RevocationQueueError, Selection, StandingError, StatusListError, WalletStoreError,
};
use certificate_domain::CertificateEvent;
use certificate_domain::{IssuedCredential, StandingRecord};
use chrono::{DateTime, Utc};
use uuid::Uuid;

mod bulk;
mod gauges;
mod outbox;
mod repo;
mod revocations;
mod standings;
mod status_lists;
mod wallet;

type LearnerCourse = (Uuid, String);

#[derive(Debug, Clone, PartialEq)]
pub struct StoredCertificate {
    pub certificate_id: String,
    pub status: String,
    pub issued_on: DateTime<Utc>,
}

struct ClaimRow {
    token: ClaimToken,
    pending_until: Option<DateTime<Utc>>,
    credential: Option<IssuedCredential>,
    certificate_id: Option<String>,
    issuance_id: Uuid,
    /// An attempt of this issuance may have made a credential nobody recorded.
    outcome_unknown: bool,
}

impl ClaimRow {
    fn in_flight(&self, now: DateTime<Utc>) -> bool {
        self.pending_until.is_some_and(|until| until > now)
    }

    /// Takes the row over for a new attempt: a holder whose lease ran out
    /// may have issued, and a re-issue after a recorded credential is a new
    /// issuance unless an earlier re-issue's outcome is unknown.
    fn take(&mut self, token: ClaimToken, pending_until: Option<DateTime<Utc>>, new_issuance_id: Uuid) -> Acquired {
        self.outcome_unknown |= self.pending_until.is_some();
        if self.credential.is_some() && !self.outcome_unknown {
            self.issuance_id = new_issuance_id;
        }
        self.token = token;
        self.pending_until = pending_until;
        self.acquired()
    }

    fn acquired(&self) -> Acquired {
        Acquired { token: self.token, issuance_id: self.issuance_id, look_first: self.outcome_unknown }
    }
}

struct RevocationRow {
    id: i64,
    certificate_id: String,
    /// The superseded credential, for verification.
    credential: Option<IssuedCredential>,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    revoked: bool,
}

struct OutboxRow {
    id: i64,
    event: CertificateEvent,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    /// In a delivery batch right now: no other batch takes it.
    held: bool,
    published: bool,
    dead: bool,
}

impl OutboxRow {
    fn undelivered(&self) -> bool {
        !self.published && !self.dead
    }

    fn certificate(&self) -> LearnerCourse {
        (self.event.user_id, self.event.key.clone())
    }

    fn selected(&self, selection: &Selection<'_>, now: DateTime<Utc>) -> bool {
        match selection {
            Selection::Handed(events) => events.iter().any(|event| event.id == self.id),
            Selection::Due { .. } => self.next_attempt_at <= now,
        }
    }

    fn pending(&self) -> PendingEvent {
        PendingEvent { attempts: self.attempts, ..PendingEvent::recorded(self.id, &self.event) }
    }
}

#[derive(Default)]
struct State {
    claims: HashMap<LearnerCourse, ClaimRow>,
    keys: HashMap<String, String>,
    certificates: HashMap<LearnerCourse, StoredCertificate>,
    outbox: Vec<OutboxRow>,
    revocations: Vec<RevocationRow>,
    /// List `n` is at `n - 1`.
    status_lists: Vec<status_lists::StatusListRow>,
    /// Certificates whose standing changed (an active one that never did has none).
    standings: HashMap<String, StandingRecord>,
    wallet: wallet::WalletRows,
    jobs: bulk::Jobs,
    unavailable: bool,
}

/// Certificates, claims and the outbox in one mutex: the in-memory
/// counterpart of the Postgres adapter.
#[derive(Default)]
pub struct InMemoryStore {
    state: Mutex<State>,
}

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call fails with `RepoError::Unavailable` while set, as a database
    /// that went away would.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state.lock().unwrap().unavailable = unavailable;
    }

    pub fn certificate(&self, user_id: Uuid, course_id: &str) -> Option<StoredCertificate> {
        self.state.lock().unwrap().certificates.get(&(user_id, course_id.to_owned())).cloned()
    }

    pub fn certificate_count(&self) -> usize {
        self.state.lock().unwrap().certificates.len()
    }

    /// Every event ever queued, in order.
    pub fn events(&self) -> Vec<CertificateEvent> {
        self.state.lock().unwrap().outbox.iter().map(|row| row.event.clone()).collect()
    }

    pub fn pending_count(&self) -> usize {
        self.state.lock().unwrap().outbox.iter().filter(|row| row.undelivered()).count()
    }

    pub fn oldest_pending(&self) -> Option<DateTime<Utc>> {
        self.state.lock().unwrap().outbox.iter().find(|row| row.undelivered()).map(|row| row.event.created_at)
    }

    pub fn dead_count(&self) -> usize {
        self.state.lock().unwrap().outbox.iter().filter(|row| row.dead).count()
    }

    fn with_state<T, E: From<SwitchedOff>>(&self, f: impl FnOnce(&mut State) -> Result<T, E>) -> Result<T, E> {
        let mut state = self.state.lock().unwrap();
        if state.unavailable {
            return Err(SwitchedOff.into());
        }
        f(&mut state)
    }
}

/// What every call answers while [`InMemoryStore::set_unavailable`] holds.
#[derive(Debug, thiserror::Error)]
#[error("in-memory store switched off")]
struct SwitchedOff;

/// Every port of the store reads a switched-off store as an outage.
macro_rules! unavailable_when_switched_off {
    ($($port_error:ident),*) => {$(
        impl From<SwitchedOff> for $port_error {
            fn from(error: SwitchedOff) -> Self {
                $port_error::Unavailable(cause(error))
            }
        }
    )*};
}

unavailable_when_switched_off!(
    RepoError,
    OutboxError,
    RevocationQueueError,
    AdminError,
    GaugeError,
    StatusListError,
    StandingError,
    WalletStoreError,
    JobStoreError
);

fn after(now: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

impl State {
    /// Queues `event` in the outbox; answers its position.
    fn queue_event(&mut self, event: &CertificateEvent) -> i64 {
        let id = self.outbox.len() as i64 + 1;
        self.outbox.push(OutboxRow {
            id,
            event: event.clone(),
            attempts: 0,
            next_attempt_at: event.due_at,
            held: false,
            published: false,
            dead: false,
        });
        id
    }

    fn queue_revocation(&mut self, certificate_id: String, credential: Option<IssuedCredential>) {
        let id = self.revocations.len() as i64 + 1;
        self.revocations.push(RevocationRow {
            id,
            certificate_id,
            credential,
            attempts: 0,
            next_attempt_at: Utc::now(),
            revoked: false,
        });
    }

    fn claim(&mut self, request: &ClaimRequest<'_>, now: DateTime<Utc>) -> Claim {
        if let Some(idempotency) = &request.idempotency_key {
            let first = self.keys.entry(idempotency.key.to_owned()).or_insert_with(|| idempotency.fingerprint.clone());
            if *first != idempotency.fingerprint {
                return Claim::KeyReused;
            }
        }
        let token = ClaimToken(Uuid::new_v4());
        let pending_until = Some(after(now, request.lease));
        let key = (request.user_id, request.course_id.to_owned());
        let Some(row) = self.claims.get_mut(&key) else {
            let row = ClaimRow {
                token,
                pending_until,
                credential: None,
                certificate_id: None,
                issuance_id: request.new_issuance_id,
                outcome_unknown: false,
            };
            let acquired = row.acquired();
            self.claims.insert(key, row);
            return Claim::Acquired(acquired);
        };
        if row.in_flight(now) {
            return Claim::InFlight;
        }
        match &row.credential {
            Some(credential) if !request.reissue => Claim::AlreadyIssued(Box::new(credential.clone())),
            _ => Claim::Acquired(row.take(token, pending_until, request.new_issuance_id)),
        }
    }

    fn claim_mut(&mut self, token: ClaimToken) -> Option<(&LearnerCourse, &mut ClaimRow)> {
        self.claims.iter_mut().find(|(_, row)| row.token == token)
    }

    /// Holds the selected rows that are the oldest undelivered event of their
    /// certificate, as the Postgres outbox does with its row locks.
    fn hold(&mut self, selection: &Selection<'_>, now: DateTime<Utc>) -> Vec<PendingEvent> {
        let limit = match selection {
            Selection::Handed(events) => events.len(),
            Selection::Due { limit } => *limit,
        };
        let mut certificates_seen = HashSet::new();
        let mut held = Vec::new();
        for row in self.outbox.iter_mut().filter(|row| row.undelivered()) {
            let oldest_of_certificate = certificates_seen.insert(row.certificate());
            if oldest_of_certificate && !row.held && held.len() < limit && row.selected(selection, now) {
                row.held = true;
                held.push(row.pending());
            }
        }
        held
    }

    fn release(&mut self, held: &[PendingEvent]) {
        for row in self.outbox.iter_mut().filter(|row| held.iter().any(|event| event.id == row.id)) {
            row.held = false;
        }
    }

    fn settle(&mut self, outcomes: &[Delivery]) {
        for outcome in outcomes {
            let id = match outcome {
                Delivery::Published { id } => *id,
                Delivery::Failed(failure) => failure.id,
            };
            let Some(row) = self.outbox.iter_mut().find(|row| row.id == id) else {
                continue;
            };
            match outcome {
                Delivery::Published { .. } => row.published = true,
                Delivery::Failed(failure) => {
                    row.attempts += 1;
                    match failure.retry_at {
                        Some(at) => row.next_attempt_at = at,
                        None => row.dead = true,
                    }
                }
            }
        }
    }
}
