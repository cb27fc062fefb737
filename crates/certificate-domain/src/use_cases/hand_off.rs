//! The hand-off from an issuance to the relay of the same process, so that an
//! event goes out right after its commit instead of waiting for the outbox
//! poller. It is a shortcut and never the only way out: the event is already
//! in the outbox, and when the queue is full (the relay is behind, the broker
//! away) or the process dies, the poller of any replica takes it once its
//! hand-off window has passed. It is the issue use case's outlet, so it
//! lives with the use cases; the relay job reads its other end.

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
