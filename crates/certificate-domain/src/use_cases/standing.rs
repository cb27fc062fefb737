//! Revoking, suspending and reinstating a certificate (the operator's
//! routes).
//!
//! Promises:
//! - revocation is final: a revoked certificate is never suspended or
//!   reinstated (409), and a credential a re-issue superseded is revoked;
//! - a change to the standing a certificate already has is answered as done,
//!   with no event (idempotent: a retried revoke is a 200);
//! - every change is recorded with its status list bits and its event
//!   (through the outbox, on the certificate's key, so after its issue
//!   event) in one transaction, or not at all; a change that raced another
//!   is decided again on what the other left;
//! - with Sunbird RC, a revocation is also queued for its `DELETE`, retried
//!   until it confirms; Sunbird RC has no suspension, so suspending and
//!   reinstating are refused (409).

use std::sync::Arc;

use crate::model::{status_slot, CertificateEvent, NoLearnerOrCourse, Standing, StandingRecord};
use crate::ports::{
    CertificateRepo, CertificateStandings, Clock, Observer, Randomness, RepoError, StandingChange, StandingError,
};
use crate::use_cases::PublishStatusLists;

/// What the operator asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandingCommand {
    Revoke,
    Suspend,
    Reinstate,
}

impl StandingCommand {
    fn target(self) -> Standing {
        match self {
            StandingCommand::Revoke => Standing::Revoked,
            StandingCommand::Suspend => Standing::Suspended,
            StandingCommand::Reinstate => Standing::Active,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ChangeError {
    #[error("no certificate is known under this id")]
    NotFound,
    /// The change cannot be made to this certificate; the message says why,
    /// in product words.
    #[error("{0}")]
    Refused(&'static str),
    /// The credential service that issues these certificates can only
    /// revoke them.
    #[error("the credential service has no suspension: only revocation")]
    NoSuspension,
    #[error(transparent)]
    Unnamed(#[from] NoLearnerOrCourse),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Store(#[from] StandingError),
}

const REVOKED_IS_FINAL: &str = "this certificate is revoked, which is final";
const SUPERSEDED: &str = "a re-issue superseded this certificate, which revoked it";
/// What a re-issue's revocation is recorded with.
pub const SUPERSEDED_REASON: &str = "superseded by a re-issue";

/// Changes decided on a standing another change had just left; past this
/// many, something is wrong with the store.
const RACES: usize = 4;

pub struct ChangeStanding {
    repo: Arc<dyn CertificateRepo>,
    standings: Arc<dyn CertificateStandings>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Randomness>,
    observer: Arc<dyn Observer>,
    /// The built-in issuer's published lists, told of each change.
    lists: Option<Arc<PublishStatusLists>>,
    /// Sunbird RC: revocations are sent to it, and it has no suspension.
    remote_issuer: bool,
}

impl ChangeStanding {
    pub fn new(
        repo: Arc<dyn CertificateRepo>,
        standings: Arc<dyn CertificateStandings>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Randomness>,
        observer: Arc<dyn Observer>,
        remote_issuer: bool,
    ) -> Self {
        Self { repo, standings, clock, ids, observer, lists: None, remote_issuer }
    }

    /// Lists whose answers a change here makes stale.
    pub fn with_status_lists(mut self, lists: Option<Arc<PublishStatusLists>>) -> Self {
        self.lists = lists;
        self
    }

    /// The certificate's standing after `command`.
    pub async fn apply(
        &self,
        certificate_id: &str,
        command: StandingCommand,
        reason: &str,
    ) -> Result<StandingRecord, ChangeError> {
        let recorded = self.repo.find_credential(certificate_id).await?.ok_or(ChangeError::NotFound)?;
        if recorded.revoked {
            return match command {
                StandingCommand::Revoke => Ok(superseded()),
                _ => Err(ChangeError::Refused(SUPERSEDED)),
            };
        }
        let target = command.target();
        if self.remote_issuer && target != Standing::Revoked {
            return Err(ChangeError::NoSuspension);
        }
        for _ in 0..RACES {
            let current = self.standings.standing(certificate_id).await?;
            if current.standing == target {
                return Ok(current);
            }
            if current.standing == Standing::Revoked {
                return Err(ChangeError::Refused(REVOKED_IS_FINAL));
            }
            let at = self.clock.now();
            let event =
                CertificateEvent::standing_changed(&recorded.credential, target, reason, self.ids.new_id(), at)?;
            let slot = status_slot(&recorded.credential);
            let change = StandingChange {
                certificate_id,
                from: current.standing,
                to: target,
                reason,
                slot,
                event: &event,
                queue_revocation: self.remote_issuer,
                at,
            };
            if self.standings.change_standing(change).await? {
                self.observer.standing_changed(target);
                if let (Some(lists), Some(slot)) = (&self.lists, slot) {
                    lists.changed(slot.list);
                }
                tracing::info!(certificate_id, standing = target.as_str(), event_id = %event.event_id, "certificate standing changed");
                return Ok(StandingRecord { standing: target, reason: Some(reason.to_owned()), changed_at: Some(at) });
            }
        }
        Err(StandingError::Failed(crate::ports::cause_from("the standing kept changing under this change")).into())
    }
}

fn superseded() -> StandingRecord {
    StandingRecord { standing: Standing::Revoked, reason: Some(SUPERSEDED_REASON.to_owned()), changed_at: None }
}
