//! `EventOutbox`: the transactional outbox, as the relay sees it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::CertificateEvent;

store_error!(
    /// Why the outbox could not deliver.
    OutboxError,
    "outbox"
);

/// An event taken from the outbox for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub id: i64,
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub key: String,
    pub payload: String,
    /// When it was queued for delivery (by the issuance, or again by an
    /// operator's replay or retry): the start of its publish lag.
    pub recorded_at: DateTime<Utc>,
    /// Failed deliveries so far.
    pub attempts: u32,
}

impl PendingEvent {
    /// The event as the process that recorded it hands it to its relay.
    pub fn recorded(id: i64, event: &CertificateEvent) -> Self {
        Self {
            id,
            event_id: event.event_id,
            user_id: event.user_id,
            key: event.key.clone(),
            payload: event.payload.clone(),
            recorded_at: event.created_at,
            attempts: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDelivery {
    pub id: i64,
    pub error: String,
    /// `None` sends the event to dead-letter.
    pub retry_at: Option<DateTime<Utc>>,
}

/// What became of one event of a delivery batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Published { id: i64 },
    Failed(FailedDelivery),
}

/// Which events a delivery batch is about.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Events this process has just recorded, handed over in memory.
    Handed(&'a [PendingEvent]),
    /// The oldest due events, whoever recorded them: what a crash, a broker
    /// outage or another replica left behind, and failed deliveries whose
    /// retry time has come.
    Due { limit: usize },
}

/// Publishes the events of one batch and says what became of each, in the
/// order given: the relay, as the outbox calls it back.
#[async_trait]
pub trait DeliverBatch: Send + Sync {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery>;
}

/// The transactional outbox, as the relay sees it.
#[async_trait]
pub trait EventOutbox: Send + Sync + 'static {
    /// Holds the selected events that may go out now, hands them to
    /// `deliverer` in the order they were recorded and records what it says,
    /// as one unit: while a batch is held no other relay (replica) takes its
    /// events, and if the process dies before the outcome is recorded the
    /// events stay undelivered. An event may go out only when no older event
    /// of the same certificate (`userId` and key) is still undelivered; events
    /// of other learners of the same key are not held back. Writes nothing for
    /// a held event but its outcome. Returns the outcomes recorded.
    async fn deliver(
        &self,
        selection: Selection<'_>,
        deliverer: &dyn DeliverBatch,
    ) -> Result<Vec<Delivery>, OutboxError>;
}
