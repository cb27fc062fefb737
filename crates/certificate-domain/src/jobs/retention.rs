//! Retention: what the outbox no longer needs (published events, claims given
//! up, idempotency keys) is deleted once older than the retention, so that
//! the tables stay the size of the retention window, not of the service's
//! life; so are wallet offers, access tokens and nonces that expired before
//! it (never the copies wallets took: they stay with their certificate), and
//! bulk jobs whose every row was done before it (never a job still running).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::jobs::background::every;
use crate::ports::{AdminError, Clock, JobStore, JobStoreError, OutboxAdmin, Pruned, WalletStore, WalletStoreError};

pub struct Retention {
    admin: Arc<dyn OutboxAdmin>,
    wallet: Option<Arc<dyn WalletStore>>,
    jobs: Option<Arc<dyn JobStore>>,
    clock: Arc<dyn Clock>,
    keep: Duration,
}

impl Retention {
    pub fn new(admin: Arc<dyn OutboxAdmin>, clock: Arc<dyn Clock>, keep: Duration) -> Self {
        Self { admin, wallet: None, jobs: None, clock, keep }
    }

    /// Prunes the wallet store's expired offers, tokens and nonces too.
    pub fn with_wallet_store(mut self, wallet: Arc<dyn WalletStore>) -> Self {
        self.wallet = Some(wallet);
        self
    }

    /// Prunes the finished bulk jobs too.
    pub fn with_job_store(mut self, jobs: Arc<dyn JobStore>) -> Self {
        self.jobs = Some(jobs);
        self
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
        let horizon = self.horizon();
        let mut pruned = self.admin.prune(horizon).await?;
        if let Some(wallet) = &self.wallet {
            pruned.wallet_rows =
                wallet.remove_expired(horizon).await.map_err(as_admin_error!(WalletStoreError))? as usize;
        }
        if let Some(jobs) = &self.jobs {
            pruned.bulk_jobs = jobs.remove_finished(horizon).await.map_err(as_admin_error!(JobStoreError))? as usize;
        }
        Ok(pruned)
    }

    /// Prunes now and then every `interval`, until `stop` says true.
    pub async fn run(&self, interval: Duration, stop: watch::Receiver<bool>) {
        every(interval, stop, async || match self.prune().await {
            Ok(pruned) if pruned != Pruned::default() => tracing::info!(
                events = pruned.events,
                claims = pruned.claims,
                idempotency_keys = pruned.idempotency_keys,
                wallet_rows = pruned.wallet_rows,
                bulk_jobs = pruned.bulk_jobs,
                "pruned what is past the retention"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot prune the outbox"),
        })
        .await
    }
}

/// A store error of the outbox's database (the wallet store, the job
/// store) as the prune's: the same failure.
macro_rules! as_admin_error {
    ($error:ident) => {
        |error: $error| match error {
            $error::Unavailable(cause) => AdminError::Unavailable(cause),
            $error::Failed(cause) => AdminError::Failed(cause),
        }
    };
}
use as_admin_error;
