//! The outbox's figures, read at each scrape.

use async_trait::async_trait;
use certificate_domain::ports::{GaugeError, GaugeSource, OutboxStatus};

use super::InMemoryStore;

#[async_trait]
impl GaugeSource for InMemoryStore {
    async fn gauges(&self) -> Result<OutboxStatus, GaugeError> {
        Ok(OutboxStatus {
            pending: self.pending_count() as i64,
            dead: self.dead_count() as i64,
            oldest_pending: self.oldest_pending(),
            revocations_pending: self.revocations_pending() as i64,
        })
    }
}
