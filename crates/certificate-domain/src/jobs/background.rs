//! The service's work besides answering requests, as one unit that starts
//! and stops together: the outbox relay, the revocations, the retention, the
//! store's upkeep, the bulk jobs' rows.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::jobs::{BulkRunner, OutboxRelay, Retention, RevocationDelivery};
use crate::ports::StoreUpkeep;

/// Pollers of the outbox: on a backlog, one batch is at the broker while the
/// next is being locked and the previous one recorded.
const POLLERS: usize = 2;

/// How often superseded credentials are looked for: re-issues are rare, and
/// a superseded credential should not stay valid for long.
const REVOKE_INTERVAL: Duration = Duration::from_secs(1);

/// How often what is past the retention is deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// How often the store looks at what its upkeep has to do: a young table's
/// plans are refreshed within seconds of its growth.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(2);

/// Runs `tick` now and then every `interval`, until `stop` says true.
pub(crate) async fn every(interval: Duration, mut stop: watch::Receiver<bool>, mut tick: impl AsyncFnMut()) {
    while !*stop.borrow() {
        tick().await;
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

pub struct Background {
    pub relay: OutboxRelay,
    pub revocations: RevocationDelivery,
    /// `None` where nothing outlives the process (the in-memory store).
    pub retention: Option<Retention>,
    /// `None` where the store needs none (the in-memory store).
    pub upkeep: Option<Arc<dyn StoreUpkeep>>,
    /// How often the outbox is polled for what the hand-off did not publish.
    pub poll_interval: Duration,
    pub bulk: BulkRunner,
}

impl Background {
    /// Runs until `stop` says true; the relay then publishes what the last
    /// requests recorded, within `grace` (`OutboxRelay::drain`).
    pub async fn run(&self, stop: watch::Receiver<bool>, grace: Duration) {
        let relay = async {
            self.relay.run(POLLERS, self.poll_interval, stop.clone()).await;
            self.relay.drain(grace).await;
        };
        let retention = async {
            if let Some(retention) = &self.retention {
                retention.run(PRUNE_INTERVAL, stop.clone()).await;
            }
        };
        let upkeep = async {
            if let Some(upkeep) = &self.upkeep {
                every(UPKEEP_INTERVAL, stop.clone(), async || match upkeep.upkeep().await {
                    Ok(tables) if !tables.is_empty() => tracing::info!(?tables, "store upkeep: statistics refreshed"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "store upkeep failed"),
                })
                .await;
            }
        };
        let revocations = self.revocations.run(REVOKE_INTERVAL, stop.clone());
        tokio::join!(relay, revocations, retention, upkeep, self.bulk.run(stop.clone()));
    }
}
