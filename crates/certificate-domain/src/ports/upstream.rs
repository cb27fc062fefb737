//! The upstream services (identity and credential) and how their calls fail.

use std::fmt;

use super::Cause;

/// Which upstream service a failure came from; named in the HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Identity,
    Credential,
    /// Sunbird RC's credential-schema service (templates, schemas).
    Schema,
    /// The built-in issuer's status lists, in this service's database: what
    /// its revocation of a superseded credential writes to.
    StatusLists,
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Upstream::Identity => "identity service",
            Upstream::Credential => "credential service",
            Upstream::Schema => "credential-schema service",
            Upstream::StatusLists => "status list store",
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
