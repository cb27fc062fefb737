//! The Postgres adapter (diesel + diesel-async). It promises:
//! - [`PgStore`] implements `CertificateRepo` and `EventOutbox` on one pool;
//! - recording an issuance is one statement, so the certificate row, the
//!   claim and the outbox event commit together or not at all;
//! - every call is bounded in time, and a database that cannot be reached is
//!   reported as unavailable (HTTP 503), never as a hang;
//! - it also answers the operator's commands (`OutboxAdmin`), the readiness
//!   check (`ReadinessCheck`: the database answers with every migration applied)
//!   the metrics' gauges (`GaugeSource`: the outbox) and the pool's own
//!   metrics ([`PoolMetrics`]), and keeps the templates and schemas of the
//!   built-in issuer (`TemplateStore`), its status lists
//!   (`StatusListStore`) and the certificates' standings
//!   (`CertificateStandings`: a change with its bits and event, in one
//!   statement);
//! - its upkeep (`StoreUpkeep`) analyzes a young table as it grows, so that
//!   no plan cached while it was empty keeps scanning it (statistics.rs);
//! - [`run_migrations`] applies the embedded `migrations/` folder.

mod admin;
mod batch;
mod bulk;
mod config;
mod db;
mod error;
mod jobs;
mod migrations;
mod outbox;
mod pool_metrics;
mod repo;
mod revocation;
mod sql;
mod standings;
mod statement;
mod statistics;
mod status_lists;
mod templates;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod transaction;
mod wallet;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use certificate_domain::ports::{GaugeError, GaugeSource, NotReady, OutboxStatus, ReadinessCheck};

pub use error::StoreError;
pub use migrations::run_migrations;

use batch::{BatchCounts, BatchShape, Lanes};
use db::Db;
use error::DbError;
use jobs::{ClaimJob, RecordJob};

pub use config::PgConfig;
pub use pool_metrics::PoolMetrics;

/// A pooled connection with JIT compilation off: every query here is a short
/// OLTP statement, and JIT only ever added 100+ ms of compilation to the
/// relay's lease query when the planner overestimated it.
async fn establish_without_jit(url: String) -> Result<AsyncPgConnection, ConnectionError> {
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute("SET jit = off").await.map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

#[derive(Clone)]
pub struct PgStore {
    db: Db,
    config: PgConfig,
    lanes: Arc<IssuanceLanes>,
}

/// The group commit of claims and records (see `batch`), started on first use.
#[derive(Default)]
struct IssuanceLanes {
    counts: Arc<BatchCounts>,
    claims: OnceLock<Lanes<ClaimJob>>,
    records: OnceLock<Lanes<RecordJob>>,
}

impl PgStore {
    /// Builds the pool; connections are opened on first use.
    pub fn new(config: PgConfig) -> Result<Self, StoreError> {
        let mut setup = ManagerConfig::default();
        setup.custom_setup = Box::new(|url| establish_without_jit(url.to_owned()).boxed());
        // The default (Verified) pings with `SELECT 1` on every checkout, a
        // round trip per statement; a broken connection shows as a failed
        // statement, mapped to 503, and is dropped by the pool.
        setup.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(config.url.clone(), setup);
        let pool = Pool::builder(manager).max_size(config.pool_size).build()?;
        Ok(Self { db: Db::new(pool, config.timeout), config, lanes: Arc::default() })
    }

    fn claims(&self) -> &Lanes<ClaimJob> {
        self.lanes.claims.get_or_init(|| self.start_lanes())
    }

    fn records(&self) -> &Lanes<RecordJob> {
        self.lanes.records.get_or_init(|| self.start_lanes())
    }

    /// The lanes hold the database only, so that they end when the last
    /// handle of this store (and so of its lanes) is dropped.
    fn start_lanes<J: batch::BatchJob>(&self) -> Lanes<J> {
        let shape =
            BatchShape { lanes: self.config.batch_lanes, max: self.config.batch_max, wait: self.config.batch_wait };
        Lanes::start(self.db.clone(), self.lanes.counts.clone(), shape)
    }

    /// The pool's metrics, for the service's registry.
    pub fn pool_metrics(&self) -> PoolMetrics {
        PoolMetrics::new(self.db.pool().clone(), self.lanes.counts.clone())
    }
}

#[async_trait::async_trait]
impl ReadinessCheck for PgStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), NotReady> {
        migrations::check_applied(self).await
    }
}

/// A scrape must answer even when the database does not.
const SCRAPE_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

#[async_trait::async_trait]
impl GaugeSource for PgStore {
    async fn gauges(&self) -> Result<OutboxStatus, GaugeError> {
        let outbox = tokio::time::timeout(SCRAPE_QUERY_TIMEOUT, self.outbox_status())
            .await
            .unwrap_or_else(|_| Err(DbError::unavailable("reading the outbox timed out")))?;
        Ok(outbox)
    }
}
