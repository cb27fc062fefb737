//! Readiness: each dependency the service needs to take traffic says whether
//! it answers.

use std::time::Duration;

use async_trait::async_trait;

use super::Cause;

#[derive(Debug, Clone, thiserror::Error)]
pub enum NotReady {
    #[error("did not answer within {0:?}")]
    Timeout(Duration),
    #[error("unreachable: {0}")]
    Unreachable(#[source] Cause),
    /// It answers, but cannot serve this version yet (a migration is missing).
    #[error("not set up: {0}")]
    NotSetUp(String),
}

/// A dependency of the service (the database, the broker), checked within a
/// bound in time.
#[async_trait]
pub trait ReadinessCheck: Send + Sync + 'static {
    /// The name the readiness answer gives it.
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<(), NotReady>;
}
