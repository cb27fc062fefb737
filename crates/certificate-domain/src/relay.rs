//! The outbox relay: delivers recorded events through the publisher, marks
//! them published only once acknowledged, retries with exponential backoff and
//! jitter, and sends an event that keeps failing to dead-letter.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::ports::{CertificatePublisher, Clock, EventOutbox, FailedDelivery, PendingEvent, PublishError, RepoError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayPolicy {
    pub batch_size: usize,
    /// How long a leased batch is ours before another relay may take it.
    pub lease: Duration,
    /// Failed deliveries after which an event goes to dead-letter.
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RelayPolicy {
    fn default() -> Self {
        Self {
            batch_size: 500,
            lease: Duration::from_secs(30),
            max_attempts: 20,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl RelayPolicy {
    /// Exponential backoff with equal jitter: somewhere in the upper half of
    /// `base * 2^(attempt-1)`, capped, so that replicas do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let ceiling = self.base_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let half = ceiling / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub published: usize,
    pub failed: usize,
    pub dead: usize,
}

impl RelayReport {
    pub fn handled(&self) -> usize {
        self.published + self.failed
    }
}

pub struct OutboxRelay {
    outbox: Arc<dyn EventOutbox>,
    publisher: Arc<dyn CertificatePublisher>,
    clock: Arc<dyn Clock>,
    policy: RelayPolicy,
}

impl OutboxRelay {
    pub fn new(
        outbox: Arc<dyn EventOutbox>,
        publisher: Arc<dyn CertificatePublisher>,
        clock: Arc<dyn Clock>,
        policy: RelayPolicy,
    ) -> Self {
        Self { outbox, publisher, clock, policy }
    }

    pub fn policy(&self) -> &RelayPolicy {
        &self.policy
    }

    /// Leases one batch of due events, publishes it and records the outcome.
    pub async fn relay_once(&self) -> Result<RelayReport, RepoError> {
        let events = self.outbox.lease_due(self.policy.batch_size, self.policy.lease).await?;
        if events.is_empty() {
            return Ok(RelayReport::default());
        }
        let results = self.publisher.publish(&events).await;
        let mut published = Vec::new();
        let mut failures = Vec::new();
        for (event, result) in events.iter().zip(results) {
            match result {
                Ok(()) => {
                    tracing::info!(
                        event_id = %event.event_id,
                        "Certificate issued event published for user {} and course {}",
                        event.user_id,
                        event.key
                    );
                    published.push(event.id);
                }
                Err(error) => {
                    tracing::error!(event_id = %event.event_id, "Failed to publish certificate issued event: {error}");
                    failures.push(self.failure(event, &error));
                }
            }
        }
        let report = RelayReport {
            published: published.len(),
            failed: failures.len(),
            dead: failures.iter().filter(|f| f.retry_at.is_none()).count(),
        };
        if !published.is_empty() {
            self.outbox.mark_published(&published).await?;
        }
        if !failures.is_empty() {
            self.outbox.mark_failed(&failures).await?;
        }
        Ok(report)
    }

    fn failure(&self, event: &PendingEvent, error: &PublishError) -> FailedDelivery {
        let attempt = event.attempts + 1;
        let retry_at = (attempt < self.policy.max_attempts).then(|| {
            let delay = self.policy.backoff(attempt);
            self.clock.now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
        });
        if retry_at.is_none() {
            tracing::error!(event_id = %event.event_id, attempts = attempt, "event moved to dead-letter: {error}");
        }
        FailedDelivery { id: event.id, error: error.to_string(), retry_at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_jitter_and_is_capped() {
        let policy = RelayPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..RelayPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400), "{third:?}");
            let capped = policy.backoff(30);
            assert!(capped >= Duration::from_millis(500) && capped <= Duration::from_secs(1), "{capped:?}");
        }
    }
}
