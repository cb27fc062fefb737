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
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Upstream::Identity => "identity service",
            Upstream::Credential => "credential service",
            Upstream::Schema => "credential-schema service",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// The service answered with a refusal; `answer` says it in the
    /// service's own terms (`HTTP 500`), for people.
    #[error("{upstream} answered {answer}")]
    Refused { upstream: Upstream, answer: String, refusal: Refusal },
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
            UpstreamError::Refused { upstream, .. }
            | UpstreamError::Unreachable { upstream, .. }
            | UpstreamError::AnswerLost { upstream, .. }
            | UpstreamError::Timeout { upstream }
            | UpstreamError::InvalidResponse { upstream, .. } => *upstream,
        }
    }

    /// Whether the call may have taken effect although it failed: no answer
    /// in time, a dropped connection, an answer that could not be read, or a
    /// refusal by a gateway (which may say so after it forwarded the
    /// request). Any other refusal, and a request that never left, are known
    /// failures.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            UpstreamError::Refused { refusal, .. } => *refusal == Refusal::ByGateway,
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

    /// Whether the service answered that it does not know what was named.
    pub fn is_not_found(&self) -> bool {
        matches!(self, UpstreamError::Refused { refusal: Refusal::NotFound, .. })
    }
}

/// What a refusal means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The service does not know what the call named.
    NotFound,
    /// A gateway in front of the service answered that the service failed
    /// it: the call may have been forwarded and done.
    ByGateway,
    /// The service refused, and did nothing.
    Other,
}
