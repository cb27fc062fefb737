//! The hand-off from an issuance to the relay of the same process, so that an
//! event goes out right after its commit instead of waiting for the outbox
//! poller. It is a shortcut and never the only way out: the event is already
//! in the outbox, and when the queue is full (the relay is behind, the broker
//! away) or the process dies, the poller of any replica takes it once its
//! hand-off window has passed.

use std::time::Duration;

use tokio::sync::{mpsc, Mutex};

use crate::ports::PendingEvent;

/// The issuance's end: offers recorded events to the relay without waiting.
#[derive(Clone)]
pub struct HandOff {
    sender: mpsc::Sender<PendingEvent>,
    window: Duration,
}

/// The relay's end: the events handed over, in commit order.
pub struct HandedEvents {
    receiver: Mutex<mpsc::Receiver<PendingEvent>>,
}

/// A queue of at most `capacity` events; the poller leaves an event to this
/// process's relay for `window` after it was recorded.
pub fn hand_off(capacity: usize, window: Duration) -> (HandOff, HandedEvents) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    (HandOff { sender, window }, HandedEvents { receiver: Mutex::new(receiver) })
}

/// Handed-off events queued at most, in relay batches: beyond that the relay
/// is behind and the poller takes the overflow from the outbox.
const HAND_OFF_BATCHES: usize = 10;

/// The hand-off of a relay with this policy: room for ten of its batches.
pub fn hand_off_for(policy: &crate::RelayPolicy, window: Duration) -> (HandOff, HandedEvents) {
    hand_off(HAND_OFF_BATCHES * policy.batch_size, window)
}

impl HandOff {
    pub fn window(&self) -> Duration {
        self.window
    }

    /// False when the queue is full or the relay is gone: the poller will
    /// publish the event instead.
    pub fn offer(&self, event: PendingEvent) -> bool {
        self.sender.try_send(event).is_ok()
    }
}

impl HandedEvents {
    /// Waits for at least one event, then takes up to `limit`; empty once
    /// every `HandOff` is gone.
    pub async fn next_batch(&self, limit: usize) -> Vec<PendingEvent> {
        let mut batch = Vec::with_capacity(limit);
        self.receiver.lock().await.recv_many(&mut batch, limit).await;
        batch
    }

    /// Up to `limit` events already queued, without waiting.
    pub async fn queued(&self, limit: usize) -> Vec<PendingEvent> {
        let mut receiver = self.receiver.lock().await;
        std::iter::from_fn(|| receiver.try_recv().ok()).take(limit).collect()
    }
}
