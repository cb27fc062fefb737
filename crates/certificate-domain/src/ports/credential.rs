//! A credential as the ports hand it around: the request for one, the
//! issuer's answer, the credential as recorded, and a verdict on it.

use serde_json::Value;
use uuid::Uuid;

use crate::IssueRequest;

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

/// What a verifier found about a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: VerdictStatus,
    pub checks: Checks,
}

/// A credential's standing, as the verify route names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerdictStatus {
    Issued,
    Revoked,
    Expired,
    /// Not signed by this issuer, or not over this very credential.
    Invalid,
    /// A status a remote verifier named that this service does not know,
    /// passed on by name.
    Other(String),
}

impl VerdictStatus {
    pub fn as_str(&self) -> &str {
        match self {
            VerdictStatus::Issued => "ISSUED",
            VerdictStatus::Revoked => "REVOKED",
            VerdictStatus::Expired => "EXPIRED",
            VerdictStatus::Invalid => "INVALID",
            VerdictStatus::Other(name) => name,
        }
    }

    pub fn from_name(name: &str) -> Self {
        match name {
            "ISSUED" => VerdictStatus::Issued,
            "REVOKED" => VerdictStatus::Revoked,
            "EXPIRED" => VerdictStatus::Expired,
            "INVALID" => VerdictStatus::Invalid,
            other => VerdictStatus::Other(other.to_owned()),
        }
    }
}

/// The checks of a verdict, each true when it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    pub active: bool,
    pub not_revoked: bool,
    pub not_expired: bool,
    pub proof: bool,
}
