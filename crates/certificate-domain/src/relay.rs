//! The outbox relay: delivers recorded events through the publisher, marks
//! them published only once acknowledged, retries with exponential backoff and
//! jitter, and sends an event that keeps failing to dead-letter.
//!
//! Two ways in, one way out: events handed over in memory right after their
//! commit ([`OutboxRelay::relay_handed`]), and due events polled from the
//! outbox ([`OutboxRelay::relay_due`]). Both go through
//! [`EventOutbox::deliver`], which holds the batch so that no other relay
//! sends it and keeps each certificate's events in order.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;

use crate::ports::{
    CertificatePublisher, Clock, DeliverBatch, Delivery, EventOutbox, FailedDelivery, PendingEvent, PublishError,
    RepoError, Selection,
};
use crate::HandedEvents;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayPolicy {
    pub batch_size: usize,
    /// Failed deliveries after which an event goes to dead-letter.
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RelayPolicy {
    fn default() -> Self {
        Self {
            batch_size: 500,
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
    fn of(outcomes: &[Delivery]) -> Self {
        let mut report = Self::default();
        for outcome in outcomes {
            match outcome {
                Delivery::Published { .. } => report.published += 1,
                Delivery::Failed(failure) => {
                    report.failed += 1;
                    report.dead += usize::from(failure.retry_at.is_none());
                }
            }
        }
        report
    }

    pub fn handled(&self) -> usize {
        self.published + self.failed
    }
}

pub struct OutboxRelay {
    outbox: Arc<dyn EventOutbox>,
    publisher: Arc<dyn CertificatePublisher>,
    clock: Arc<dyn Clock>,
    policy: RelayPolicy,
    handed: Option<HandedEvents>,
}

impl OutboxRelay {
    pub fn new(
        outbox: Arc<dyn EventOutbox>,
        publisher: Arc<dyn CertificatePublisher>,
        clock: Arc<dyn Clock>,
        policy: RelayPolicy,
    ) -> Self {
        Self { outbox, publisher, clock, policy, handed: None }
    }

    /// Takes the events that issuances of this process hand over.
    pub fn with_handed_events(mut self, handed: HandedEvents) -> Self {
        self.handed = Some(handed);
        self
    }

    pub fn policy(&self) -> &RelayPolicy {
        &self.policy
    }

    /// Delivers one batch of the oldest due events.
    pub async fn relay_due(&self) -> Result<RelayReport, RepoError> {
        self.relay(Selection::Due { limit: self.policy.batch_size }).await
    }

    /// Waits for events handed over by issuances, up to a batch; empty when
    /// nothing can be handed over any more. Cancelling the wait loses nothing.
    pub async fn next_handed(&self) -> Vec<PendingEvent> {
        match &self.handed {
            Some(handed) => handed.next_batch(self.policy.batch_size).await,
            None => Vec::new(),
        }
    }

    /// Delivers events handed over by issuances as one batch.
    pub async fn relay_handed(&self, events: &[PendingEvent]) -> Result<RelayReport, RepoError> {
        self.relay(Selection::Handed(events)).await
    }

    /// Delivers every handed-over event already queued, without waiting for
    /// more: what the last requests recorded, at shutdown.
    pub async fn relay_queued(&self) -> Result<RelayReport, RepoError> {
        let mut total = RelayReport::default();
        let Some(handed) = &self.handed else {
            return Ok(total);
        };
        loop {
            let events = handed.queued(self.policy.batch_size).await;
            if events.is_empty() {
                return Ok(total);
            }
            let report = self.relay(Selection::Handed(&events)).await?;
            total.published += report.published;
            total.failed += report.failed;
            total.dead += report.dead;
        }
    }

    async fn relay(&self, selection: Selection<'_>) -> Result<RelayReport, RepoError> {
        let outcomes = self.outbox.deliver(selection, self).await?;
        Ok(RelayReport::of(&outcomes))
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

#[async_trait]
impl DeliverBatch for OutboxRelay {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        let results = self.publisher.publish(events).await;
        events
            .iter()
            .zip(results)
            .map(|(event, result)| match result {
                Ok(()) => {
                    tracing::info!(
                        event_id = %event.event_id,
                        "Certificate issued event published for user {} and course {}",
                        event.user_id,
                        event.key
                    );
                    Delivery::Published { id: event.id }
                }
                Err(error) => {
                    tracing::error!(event_id = %event.event_id, "Failed to publish certificate issued event: {error}");
                    Delivery::Failed(self.failure(event, &error))
                }
            })
            .collect()
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
