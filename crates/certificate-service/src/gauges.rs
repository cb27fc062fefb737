//! The gauges read at scrape time: outbox lag and database pool use.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use certificate_fakes::InMemoryStore;
use certificate_metrics::{GaugeSource, Metrics};
use certificate_postgres::{OutboxAdmin, PgStore};
use chrono::{DateTime, Utc};

/// A scrape must answer even when the database does not.
const SCRAPE_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

fn age_seconds(oldest: Option<DateTime<Utc>>) -> f64 {
    oldest.map_or(0.0, |at| (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0)
}

pub struct PostgresGauges(pub PgStore);

#[async_trait]
impl GaugeSource for PostgresGauges {
    async fn refresh(&self, metrics: &Metrics) {
        let (in_use, waiting) = self.0.pool_usage();
        metrics.set_db_pool(in_use, waiting);
        match tokio::time::timeout(SCRAPE_QUERY_TIMEOUT, self.0.status()).await {
            Ok(Ok(status)) => metrics.set_outbox(status.pending, status.dead, age_seconds(status.oldest_pending)),
            Ok(Err(error)) => tracing::warn!(%error, "cannot read the outbox for the metrics"),
            Err(_) => tracing::warn!("reading the outbox for the metrics timed out"),
        }
    }
}

pub struct MemoryGauges(pub Arc<InMemoryStore>);

#[async_trait]
impl GaugeSource for MemoryGauges {
    async fn refresh(&self, metrics: &Metrics) {
        let store = &self.0;
        metrics.set_outbox(
            store.pending_count() as i64,
            store.dead_count() as i64,
            age_seconds(store.oldest_pending()),
        );
    }
}
