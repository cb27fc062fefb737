//! The database pool's metrics, which this crate keeps itself and the
//! service's registry reads at every scrape: connections in use, requests
//! waiting for one, and the statements group commit ran with the jobs they
//! carried (jobs ÷ statements is the batch size).

use std::sync::Arc;

use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::AsyncPgConnection;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::batch::BatchCounts;

pub struct PoolMetrics {
    pool: Pool<AsyncPgConnection>,
    counts: Arc<BatchCounts>,
}

impl std::fmt::Debug for PoolMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolMetrics")
    }
}

impl PoolMetrics {
    pub(crate) fn new(pool: Pool<AsyncPgConnection>, counts: Arc<BatchCounts>) -> Self {
        Self { pool, counts }
    }
}

fn encode_one(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for PoolMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = self.pool.status();
        let in_use = (status.size - status.available.min(status.size)) as i64;
        let (statements, jobs) = self.counts.read();
        let gauge = |value: i64| ConstGauge::new(value);
        encode_one(&mut encoder, "db_pool_connections_in_use", "Database connections in use", &gauge(in_use))?;
        let waiting = gauge(status.waiting as i64);
        encode_one(&mut encoder, "db_pool_waiting", "Requests waiting for a database connection", &waiting)?;
        let statements = ConstCounter::new(statements);
        let help = "Statements that wrote claims and records (group commit)";
        encode_one(&mut encoder, "db_batched_statements", help, &statements)?;
        let help = "Claims and records written by those statements; jobs ÷ statements is the batch size";
        encode_one(&mut encoder, "db_batched_jobs", help, &ConstCounter::new(jobs))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use prometheus_client::registry::Registry;

    use crate::{PgConfig, PgStore};

    #[test]
    fn the_pool_and_group_commit_are_read_at_the_scrape() {
        let config = PgConfig {
            url: "postgres://nobody@127.0.0.1:1/none".into(),
            pool_size: 2,
            timeout: Duration::from_secs(1),
            record_retry_window: Duration::ZERO,
            batch_lanes: 1,
            batch_max: 8,
            batch_wait: Duration::ZERO,
        };
        let store = PgStore::new(config).expect("a pool is built without connecting");
        let mut registry = Registry::with_prefix("certificate");
        registry.register_collector(Box::new(store.pool_metrics()));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for line in [
            "certificate_db_pool_connections_in_use 0",
            "certificate_db_pool_waiting 0",
            "certificate_db_batched_statements_total 0",
            "certificate_db_batched_jobs_total 0",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
