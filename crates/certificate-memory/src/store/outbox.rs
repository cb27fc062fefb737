//! The outbox in the embedded default, as the relay sees it.

use async_trait::async_trait;
use certificate_domain::ports::{DeliverBatch, Delivery, EventOutbox, OutboxError, Selection};
use chrono::Utc;

use super::InMemoryStore;

#[async_trait]
impl EventOutbox for InMemoryStore {
    async fn deliver(
        &self,
        selection: Selection<'_>,
        deliverer: &dyn DeliverBatch,
    ) -> Result<Vec<Delivery>, OutboxError> {
        let held = self.with_state(|state| Ok::<_, OutboxError>(state.hold(&selection, Utc::now())))?;
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = deliverer.deliver(&held).await;
        // Like a rolled-back transaction, a failed settlement lets the batch go.
        self.state.lock().unwrap().release(&held);
        self.with_state(|state| {
            state.settle(&outcomes);
            Ok(outcomes)
        })
    }
}
