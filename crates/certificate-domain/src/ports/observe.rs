//! What the service observes about itself for its metrics: requests served,
//! how issuances ended, and the gauges of the store, read at scrape time.

use async_trait::async_trait;

use super::OutboxStatus;

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

/// One request served, named by its route pattern (never its raw path, so
/// that the metrics stay bounded).
#[derive(Debug, Clone, Copy)]
pub struct ServedRequest<'a> {
    pub route: &'a str,
    pub method: &'a str,
    pub status: u16,
    pub seconds: f64,
}

/// Connections of a pool in use, callers waiting for one, and since start
/// the writes that shared statements (group commit): jobs ÷ statements is
/// how many requests one statement served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    pub in_use: usize,
    pub waiting: usize,
    pub batched_statements: u64,
    pub batched_jobs: u64,
}

/// What a store reports at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    pub outbox: OutboxStatus,
    /// `None` for a store without a connection pool.
    pub pool: Option<PoolUsage>,
}

store_error!(
    /// Why the gauges could not be read.
    GaugeError,
    "gauges"
);

#[async_trait]
pub trait GaugeSource: Send + Sync + 'static {
    async fn gauges(&self) -> Result<Gauges, GaugeError>;
}

/// A scrape: the text and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub content_type: &'static str,
    pub body: String,
}

/// Counts what the service does and reports it when scraped.
#[async_trait]
pub trait Observer: Send + Sync + 'static {
    fn request_served(&self, request: ServedRequest<'_>);
    fn issuance_ended(&self, outcome: IssuanceOutcome);
    /// Every observation so far, with the gauges read now.
    async fn report(&self) -> Report;
}
