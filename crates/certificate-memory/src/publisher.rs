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
