//! The store behind every storage port: Postgres when a database is
//! configured (migrated first), memory in embedded mode; and the two steps
//! the operator commands share with it (the pool, the migrations).

use std::sync::Arc;

use anyhow::{Context, Result};
use certificate_domain::ports::{
    CertificateRepo, CertificateStandings, EventOutbox, GaugeSource, JobStore, OutboxAdmin, ReadinessCheck,
    RevocationQueue, StatusListStore, StoreUpkeep, TemplateStore, WalletStore,
};
use certificate_memory::embedded::{InMemoryStore, InMemoryTemplates};
use certificate_postgres::{run_migrations, PgConfig, PgStore, PoolMetrics};

use crate::config::Config;

/// The store behind every storage port: Postgres, or memory in embedded mode.
pub(crate) struct Stores {
    pub(crate) repo: Arc<dyn CertificateRepo>,
    pub(crate) outbox: Arc<dyn EventOutbox>,
    pub(crate) gauges: Arc<dyn GaugeSource>,
    pub(crate) revocations: Arc<dyn RevocationQueue>,
    pub(crate) templates: Arc<dyn TemplateStore>,
    pub(crate) status_lists: Arc<dyn StatusListStore>,
    pub(crate) standings: Arc<dyn CertificateStandings>,
    pub(crate) wallet: Arc<dyn WalletStore>,
    pub(crate) jobs: Arc<dyn JobStore>,
    /// Postgres only: the retention and readiness work on the database, and
    /// its pool has metrics.
    pub(crate) admin: Option<Arc<dyn OutboxAdmin>>,
    pub(crate) upkeep: Option<Arc<dyn StoreUpkeep>>,
    pub(crate) database: Option<Arc<dyn ReadinessCheck>>,
    pub(crate) pool_metrics: Option<PoolMetrics>,
}

impl Stores {
    fn of<S>(store: Arc<S>, templates: Arc<dyn TemplateStore>) -> Self
    where
        S: CertificateRepo
            + EventOutbox
            + GaugeSource
            + RevocationQueue
            + StatusListStore
            + CertificateStandings
            + WalletStore
            + JobStore,
    {
        let (repo, outbox, gauges, revocations) = (store.clone(), store.clone(), store.clone(), store.clone());
        let (status_lists, standings, wallet, jobs) = (store.clone(), store.clone(), store.clone(), store);
        Self {
            repo,
            outbox,
            gauges,
            revocations,
            templates,
            status_lists,
            standings,
            wallet,
            jobs,
            admin: None,
            upkeep: None,
            database: None,
            pool_metrics: None,
        }
    }
}

pub(crate) async fn stores(config: &Config) -> Result<Stores> {
    let Some(database) = &config.database else {
        return Ok(Stores::of(Arc::new(InMemoryStore::new()), Arc::new(InMemoryTemplates::new())));
    };
    migrate(database).await?;
    let store = Arc::new(store(database)?);
    Ok(Stores {
        admin: Some(store.clone()),
        upkeep: Some(store.clone()),
        database: Some(store.clone()),
        pool_metrics: Some(store.pool_metrics()),
        ..Stores::of(store.clone(), store)
    })
}

pub(crate) fn store(config: &PgConfig) -> Result<PgStore> {
    PgStore::new(config.clone()).context("cannot build the database pool")
}

pub(crate) async fn migrate(config: &PgConfig) -> Result<()> {
    let applied = run_migrations(&config.url).await.context("cannot apply migrations")?;
    tracing::info!(?applied, "migrations applied");
    Ok(())
}
