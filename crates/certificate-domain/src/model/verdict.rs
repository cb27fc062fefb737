//! What a verifier found about a credential: its status and the checks
//! behind it.

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
    /// Suspended by an operator, until reinstated.
    Suspended,
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
            VerdictStatus::Suspended => "SUSPENDED",
            VerdictStatus::Expired => "EXPIRED",
            VerdictStatus::Invalid => "INVALID",
            VerdictStatus::Other(name) => name,
        }
    }

    pub fn from_name(name: &str) -> Self {
        match name {
            "ISSUED" => VerdictStatus::Issued,
            "REVOKED" => VerdictStatus::Revoked,
            "SUSPENDED" => VerdictStatus::Suspended,
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
