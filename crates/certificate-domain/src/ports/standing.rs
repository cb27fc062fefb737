//! `CertificateStandings`: what became of a certificate after its issue:
//! active, suspended (reversible) or revoked (final), with the operator's
//! reason. A change is recorded with everything that must go with it, or
//! not at all: the standing, the bits of the credential's status list
//! entry, the event, and for Sunbird RC the revocation to send it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{CertificateEvent, Standing, StandingRecord, StatusSlot};

/// One change, as it is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StandingChange<'a> {
    pub certificate_id: &'a str,
    /// The standing the change was decided on: nothing is written if it is
    /// no longer this one.
    pub from: Standing,
    pub to: Standing,
    pub reason: &'a str,
    /// The credential's status list entry, when its issuer publishes lists:
    /// its revocation bit is set when `to` is revoked, its suspension bit
    /// when `to` is suspended, neither when it is active.
    pub slot: Option<StatusSlot>,
    pub event: &'a CertificateEvent,
    /// Queue the credential's revocation at the credential service (Sunbird
    /// RC), to be retried until it confirms.
    pub queue_revocation: bool,
    pub at: DateTime<Utc>,
}

store_error!(
    /// The standings could not be read or changed.
    StandingError,
    "certificate standings"
);

#[async_trait]
pub trait CertificateStandings: Send + Sync + 'static {
    /// The standing of the certificate under this id (active when nothing
    /// was ever changed).
    async fn standing(&self, certificate_id: &str) -> Result<StandingRecord, StandingError>;
    /// Records `change` if the certificate is still `change.from`; `false`
    /// (nothing written) when another change came first.
    async fn change_standing(&self, change: StandingChange<'_>) -> Result<bool, StandingError>;
    /// Sets the revocation bit of an entry whose credential a re-issue
    /// superseded (the re-issue itself recorded that it is revoked).
    async fn revoke_entry(&self, slot: StatusSlot) -> Result<(), StandingError>;
}
