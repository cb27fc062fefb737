//! What the domain observes about itself for the metrics: how issuances
//! ended, and the outbox's figures, read at scrape time.

use async_trait::async_trait;

use super::OutboxStatus;
use crate::model::{RowOutcome, Standing, WalletProtocol};

/// How an issue request ended, as the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuanceOutcome {
    Issued,
    Replayed,
    Invalid,
    Conflict,
    KeyReused,
    UpstreamError,
    DatabaseError,
}

impl IssuanceOutcome {
    /// The name the metrics label it with.
    pub fn as_str(self) -> &'static str {
        match self {
            IssuanceOutcome::Issued => "issued",
            IssuanceOutcome::Replayed => "replayed",
            IssuanceOutcome::Invalid => "invalid",
            IssuanceOutcome::Conflict => "conflict",
            IssuanceOutcome::KeyReused => "key_reused",
            IssuanceOutcome::UpstreamError => "upstream_error",
            IssuanceOutcome::DatabaseError => "database_error",
        }
    }
}

store_error!(
    /// Why the gauges could not be read.
    GaugeError,
    "gauges"
);

/// What the metrics read from the store at every scrape.
#[async_trait]
pub trait GaugeSource: Send + Sync + 'static {
    async fn gauges(&self) -> Result<OutboxStatus, GaugeError>;
}

/// Counts what the domain does (how issuances ended, which standings
/// changed, what wallets were offered and took, how bulk jobs go). What the adapters
/// do (HTTP requests served, a pool's connections) each adapter counts
/// itself; certificate-metrics puts them together.
pub trait Observer: Send + Sync + 'static {
    fn issuance_ended(&self, outcome: IssuanceOutcome);
    /// A certificate's standing changed to `to` (a change asked again, to
    /// the standing it has, is none).
    fn standing_changed(&self, to: Standing);
    /// The platform asked for a wallet offer of a certificate.
    fn wallet_offered(&self);
    /// A wallet took a new copy of a certificate (a repeat of the same
    /// holder under the same offer is none).
    fn wallet_copy_taken(&self, protocol: WalletProtocol);
    /// A bulk job of `rows` rows was accepted.
    fn bulk_job_accepted(&self, rows: usize);
    /// A bulk row ended (`Issued`, `AlreadyIssued` or `Failed`): with the
    /// rows accepted, what is left to do across replicas.
    fn bulk_row_ended(&self, outcome: &RowOutcome);
    /// A bulk row's issuance failed in a way a later try may get past.
    fn bulk_row_retried(&self);
}
