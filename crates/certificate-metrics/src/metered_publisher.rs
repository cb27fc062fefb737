//! [`MeteredPublisher`]: the broker, counted and timed (events published,
//! failures by reason, latency).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use certificate_domain::ports::{CertificatePublisher, PendingEvent, PublishError};
use chrono::Utc;

use crate::{Metrics, ReasonLabels};

/// Counts and times the deliveries of the wrapped `CertificatePublisher`.
pub struct MeteredPublisher {
    inner: Arc<dyn CertificatePublisher>,
    metrics: Arc<Metrics>,
}

impl MeteredPublisher {
    pub fn new(inner: Arc<dyn CertificatePublisher>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

#[async_trait]
impl CertificatePublisher for MeteredPublisher {
    async fn flush(&self, timeout: std::time::Duration) {
        self.inner.flush(timeout).await;
    }

    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        let started = Instant::now();
        let results = self.inner.publish(events).await;
        self.metrics.publish_duration.observe(started.elapsed().as_secs_f64());
        let acknowledged_at = Utc::now();
        for (event, _) in events.iter().zip(&results).filter(|(_, result)| result.is_ok()) {
            let lag = (acknowledged_at - event.recorded_at).num_microseconds().unwrap_or(i64::MAX);
            self.metrics.publish_lag.observe(lag.max(0) as f64 / 1e6);
        }
        let published = results.iter().filter(|r| r.is_ok()).count() as u64;
        self.metrics.events_published.inc_by(published);
        for error in results.iter().filter_map(|result| result.as_ref().err()) {
            self.metrics.publish_failures.get_or_create(&ReasonLabels { reason: error.reason() }).inc();
        }
        results
    }
}
