use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{CertificatePublisher, PendingEvent, PublishError};

/// The embedded default's publisher: each event as one JSON line in the log.
pub struct LoggingPublisher;

#[async_trait]
impl CertificatePublisher for LoggingPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        events
            .iter()
            .map(|event| {
                tracing::info!(target: "certificate_event", key = %event.key, "{}", event.payload);
                Ok(())
            })
            .collect()
    }
}

/// `kafkaEnabled=false` outside embedded mode: events are acknowledged
/// without being sent, as the NestJS service skipped them, and count as
/// published, so that `outbox replay` can send them once Kafka is enabled.
pub struct DisabledPublisher;

#[async_trait]
impl CertificatePublisher for DisabledPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        events
            .iter()
            .map(|_| {
                tracing::warn!("Kafka is disabled. Skipping tracking event publish.");
                Ok(())
            })
            .collect()
    }
}

/// Keeps what it was sent; failures can be queued per event for tests.
#[derive(Default)]
pub struct RecordingPublisher {
    sent: Mutex<Vec<PendingEvent>>,
    failures: Mutex<VecDeque<PublishError>>,
}

impl RecordingPublisher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail_next(&self, error: PublishError, times: usize) {
        self.failures.lock().unwrap().extend(std::iter::repeat_n(error, times));
    }

    pub fn sent(&self) -> Vec<PendingEvent> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl CertificatePublisher for RecordingPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        events
            .iter()
            .map(|event| match self.failures.lock().unwrap().pop_front() {
                Some(error) => Err(error),
                None => {
                    self.sent.lock().unwrap().push(event.clone());
                    Ok(())
                }
            })
            .collect()
    }
}
