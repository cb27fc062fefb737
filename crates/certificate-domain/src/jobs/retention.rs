//! Retention: what the outbox no longer needs (published events, claims given
//! up, idempotency keys) is deleted once older than the retention, so that
//! the tables stay the size of the retention window, not of the service's life.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::jobs::background::every;
use crate::ports::{AdminError, Clock, OutboxAdmin, Pruned};

pub struct Retention {
    admin: Arc<dyn OutboxAdmin>,
    clock: Arc<dyn Clock>,
    keep: Duration,
}

impl Retention {
    pub fn new(admin: Arc<dyn OutboxAdmin>, clock: Arc<dyn Clock>, keep: Duration) -> Self {
        Self { admin, clock, keep }
    }

    /// How long what the outbox no longer needs is kept.
    pub fn keep(&self) -> Duration {
        self.keep
    }

    /// What was recorded before this instant may be gone.
    pub fn horizon(&self) -> DateTime<Utc> {
        self.clock.now() - chrono::Duration::from_std(self.keep).unwrap_or(chrono::Duration::MAX)
    }

    pub async fn prune(&self) -> Result<Pruned, AdminError> {
        self.admin.prune(self.horizon()).await
    }

    /// Prunes now and then every `interval`, until `stop` says true.
    pub async fn run(&self, interval: Duration, stop: watch::Receiver<bool>) {
        every(interval, stop, async || match self.prune().await {
            Ok(pruned) if pruned != Pruned::default() => tracing::info!(
                events = pruned.events,
                claims = pruned.claims,
                idempotency_keys = pruned.idempotency_keys,
                "pruned what is past the retention"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot prune the outbox"),
        })
        .await
    }
}
