//! `CertificatePublisher`: sends events to the rest of the platform.

use std::time::Duration;

use async_trait::async_trait;

use super::{Cause, PendingEvent};

/// Why one event was not delivered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    #[error("broker unavailable: {0}")]
    Unavailable(#[source] Cause),
    #[error("not acknowledged in time")]
    Timeout,
    #[error("rejected by the broker: {0}")]
    Rejected(#[source] Cause),
    /// The broker refused the record itself (it breaks the topic's schema):
    /// sending it again cannot succeed, so it goes to dead-letter at once.
    #[error("refused by the broker as an invalid record: {0}")]
    InvalidRecord(#[source] Cause),
}

impl PublishError {
    /// The failure's name in the metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            PublishError::Unavailable(_) => "unavailable",
            PublishError::Timeout => "timeout",
            PublishError::Rejected(_) => "rejected",
            PublishError::InvalidRecord(_) => "invalid_record",
        }
    }
}

/// Sends events to the rest of the platform (Kafka in production).
#[async_trait]
pub trait CertificatePublisher: Send + Sync + 'static {
    /// Sends the events and waits until each is acknowledged or failed; the
    /// answer has one result per event, in order.
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>>;

    /// Waits up to `timeout` for whatever the client still buffers; called
    /// once, at shutdown, after the last delivery.
    async fn flush(&self, _timeout: Duration) {}
}
