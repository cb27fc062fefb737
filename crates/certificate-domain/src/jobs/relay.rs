//! The outbox relay: delivers recorded events through the publisher, marks
//! them published only once acknowledged, retries with exponential backoff and
//! jitter, and sends an event that keeps failing to dead-letter.
//!
//! Two ways in, one way out: events handed over in memory right after their
//! commit ([`OutboxRelay::relay_handed`]), and due events polled from the
//! outbox ([`OutboxRelay::relay_due`]). Both go through
//! [`EventOutbox::deliver`], which holds the batch so that no other relay
//! sends it and keeps each certificate's events in order.
//!
//! [`OutboxRelay::run`] is the relay's life in a service: the hand-off and the
//! pollers until told to stop, then [`OutboxRelay::drain`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use tokio::sync::{watch, RwLock};

use crate::ports::{
    CertificatePublisher, Clock, DeliverBatch, Delivery, EventOutbox, FailedDelivery, OutboxError, PendingEvent,
    PublishError, Randomness, Selection, SystemRandomness,
};
use crate::use_cases::{hand_off, HandOff, HandedEvents};

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
    /// `base * 2^(attempt-1)`, capped, placed there by `jitter` (in `[0, 1)`).
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let ceiling = self.base_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let half = ceiling / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
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

    fn add(&mut self, other: RelayReport) {
        self.published += other.published;
        self.failed += other.failed;
        self.dead += other.dead;
    }
}

pub struct OutboxRelay {
    outbox: Arc<dyn EventOutbox>,
    publisher: Arc<dyn CertificatePublisher>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
    policy: RelayPolicy,
    handed: Option<HandedEvents>,
    /// Publishes share it; re-sending a refused event alone takes it whole.
    isolation: RwLock<()>,
}

impl OutboxRelay {
    pub fn new(
        outbox: Arc<dyn EventOutbox>,
        publisher: Arc<dyn CertificatePublisher>,
        clock: Arc<dyn Clock>,
        policy: RelayPolicy,
    ) -> Self {
        let randomness = Arc::new(SystemRandomness);
        Self { outbox, publisher, clock, randomness, policy, handed: None, isolation: RwLock::new(()) }
    }

    /// Takes the events that issuances of this process hand over.
    pub fn with_handed_events(mut self, handed: HandedEvents) -> Self {
        self.handed = Some(handed);
        self
    }

    /// Delivers one batch of the oldest due events.
    pub async fn relay_due(&self) -> Result<RelayReport, OutboxError> {
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
    pub async fn relay_handed(&self, events: &[PendingEvent]) -> Result<RelayReport, OutboxError> {
        self.relay(Selection::Handed(events)).await
    }

    /// Delivers every handed-over event already queued, without waiting for
    /// more: what the last requests recorded, at shutdown.
    pub async fn relay_queued(&self) -> Result<RelayReport, OutboxError> {
        let mut total = RelayReport::default();
        let Some(handed) = &self.handed else {
            return Ok(total);
        };
        loop {
            let events = handed.queued(self.policy.batch_size).await;
            if events.is_empty() {
                return Ok(total);
            }
            total.add(self.relay(Selection::Handed(&events)).await?);
        }
    }

    /// Publishes what issuances hand over, and polls the outbox with
    /// `pollers` tasks every `poll_interval` for the rest, until `stop` says
    /// true. On a backlog, one poller's batch is at the broker while the
    /// next is being locked and the previous one recorded (SKIP LOCKED keeps
    /// their batches apart, the outbox keeps each certificate in order).
    pub async fn run(&self, pollers: usize, poll_interval: Duration, stop: watch::Receiver<bool>) {
        let polling = (0..pollers).map(|_| self.poll_until_stopped(poll_interval, stop.clone()));
        tokio::join!(self.publish_handed_until_stopped(stop.clone()), join_all(polling));
    }

    /// It stops only between batches, so that a batch that was sent is also marked.
    async fn publish_handed_until_stopped(&self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let events = tokio::select! {
                events = self.next_handed() => events,
                _ = stop.changed() => break,
            };
            if events.is_empty() {
                break;
            }
            if let Err(error) = self.relay_handed(&events).await {
                tracing::warn!(%error, "the outbox relay cannot reach the outbox; the poller will retry");
            }
        }
    }

    async fn poll_until_stopped(&self, poll_interval: Duration, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let pause = match self.relay_due().await {
                Ok(report) if report.handled() == self.policy.batch_size => continue,
                Ok(_) => poll_interval,
                Err(error) => {
                    tracing::warn!(%error, "the outbox relay cannot reach the outbox");
                    poll_interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Once stopped: publishes what the last requests recorded, then what is
    /// due (within `grace`), rather than leave it to another replica, and
    /// lets the publisher flush.
    pub async fn drain(&self, grace: Duration) {
        if let Err(error) = self.relay_queued().await {
            tracing::warn!(%error, "cannot publish the last handed-over events; the outbox keeps them");
        }
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            match self.relay_due().await {
                Ok(report) if report.handled() > 0 => {}
                _ => break,
            }
        }
        self.publisher.flush(grace).await;
    }

    async fn relay(&self, selection: Selection<'_>) -> Result<RelayReport, OutboxError> {
        let outcomes = self.outbox.deliver(selection, self).await?;
        Ok(RelayReport::of(&outcomes))
    }

    fn failure(&self, event: &PendingEvent, error: &PublishError) -> FailedDelivery {
        let attempt = event.attempts + 1;
        let permanent = matches!(error, PublishError::InvalidRecord(_));
        let retry_at = (attempt < self.policy.max_attempts && !permanent).then(|| {
            let delay = self.policy.backoff(attempt, self.randomness.jitter());
            self.clock.now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
        });
        if retry_at.is_none() {
            tracing::error!(event_id = %event.event_id, attempts = attempt, "event moved to dead-letter: {error}");
        }
        FailedDelivery { id: event.id, error: error.to_string(), retry_at }
    }
}

impl OutboxRelay {
    /// A broker that validates records refuses a whole produce request for
    /// one bad record, and the client may have put good events in the same
    /// request, from this batch or from another relay task's. So each event
    /// refused as invalid is sent again alone, while no other publish of this
    /// process is in flight: only a record that is itself invalid goes to
    /// dead-letter.
    async fn publish_isolating_invalid(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        let mut results = {
            let _shared = self.isolation.read().await;
            self.publisher.publish(events).await
        };
        if results.iter().any(|result| matches!(result, Err(PublishError::InvalidRecord(_)))) {
            let _alone = self.isolation.write().await;
            for (event, result) in events.iter().zip(results.iter_mut()) {
                if matches!(result, Err(PublishError::InvalidRecord(_))) {
                    let alone = self.publisher.publish(std::slice::from_ref(event)).await;
                    *result = alone.into_iter().next().unwrap_or(Err(PublishError::Timeout));
                }
            }
        }
        results
    }
}

#[async_trait]
impl DeliverBatch for OutboxRelay {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        let results = self.publish_isolating_invalid(events).await;
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

/// Handed-off events queued at most, in relay batches: beyond that the relay
/// is behind and the poller takes the overflow from the outbox.
const HAND_OFF_BATCHES: usize = 10;

/// The hand-off of a relay with this policy: room for ten of its batches.
pub fn hand_off_for(policy: &RelayPolicy, window: Duration) -> (HandOff, HandedEvents) {
    hand_off(HAND_OFF_BATCHES * policy.batch_size, window)
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
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(3, 0.5), Duration::from_millis(300));
        assert_eq!(policy.backoff(30, 0.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(30, 1.0), Duration::from_secs(1));
    }
}
