//! The service's Prometheus metrics, put together. It promises the design's
//! four monitoring metrics — events published, publish failures, publish
//! latency and lag (pending outbox events, age of the oldest) — plus
//! issuances by outcome and upstream calls with latency and failures.
//! [`Metrics`] is the domain's `Observer` (issuance outcomes) and the
//! scrape; upstream and publisher metrics come from decorators around the
//! ports. The adapters that have metrics of their own (certificate-http's
//! requests, certificate-postgres's pool) register them in the same
//! registry, so one scrape has them all.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use certificate_domain::model::{RowOutcome, WalletProtocol};
use certificate_domain::ports::{GaugeSource, IssuanceOutcome, Observer, OutboxStatus};
use certificate_domain::Standing;
use chrono::Utc;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

mod metered_issuer;
mod metered_publisher;

pub use metered_issuer::MeteredIssuer;
pub use metered_publisher::MeteredPublisher;

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StandingLabels {
    to: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProtocolLabels {
    protocol: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    upstream: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamOutcomeLabels {
    upstream: &'static str,
    outcome: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 1 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    gauges: Arc<dyn GaugeSource>,
    issuances: Family<OutcomeLabels, Counter>,
    standing_changes: Family<StandingLabels, Counter>,
    wallet_offers: Counter,
    wallet_copies: Family<ProtocolLabels, Counter>,
    bulk_jobs: Counter,
    bulk_rows_accepted: Counter,
    bulk_rows: Family<OutcomeLabels, Counter>,
    bulk_row_retries: Counter,
    upstream_calls: Family<UpstreamOutcomeLabels, Counter>,
    upstream_duration: Histograms<UpstreamLabels>,
    events_published: Counter,
    publish_failures: Family<ReasonLabels, Counter>,
    publish_duration: Histogram,
    publish_lag: Histogram,
    outbox_pending: Gauge,
    outbox_oldest_pending_age: Gauge<f64, AtomicU64>,
    outbox_dead: Gauge,
    revocations_pending: Gauge,
}

/// Every `PublishError::reason()`, so that the failure counter starts at
/// zero for each (a test keeps the list in step with the variants).
const PUBLISH_FAILURE_REASONS: [&str; 4] = ["unavailable", "timeout", "rejected", "invalid_record"];

impl Metrics {
    /// `gauges` is read at every scrape. Adapters that keep metrics of their
    /// own (HTTP, the database pool) register them in [`Metrics::registry`]
    /// before the service starts.
    pub fn new(gauges: Arc<dyn GaugeSource>) -> Self {
        let mut registry = Registry::with_prefix("certificate");
        let metrics = Self {
            issuances: Family::default(),
            standing_changes: Family::default(),
            wallet_offers: Counter::default(),
            wallet_copies: Family::default(),
            bulk_jobs: Counter::default(),
            bulk_rows_accepted: Counter::default(),
            bulk_rows: Family::default(),
            bulk_row_retries: Counter::default(),
            upstream_calls: Family::default(),
            upstream_duration: Family::new_with_constructor(latency_histogram),
            events_published: Counter::default(),
            publish_failures: Family::default(),
            publish_duration: latency_histogram(),
            // Fine steps (25%) from 1 ms to about 9 minutes: the lag is watched
            // against targets of a few milliseconds, and outages last minutes.
            publish_lag: Histogram::new(exponential_buckets(0.001, 1.25, 60)),
            outbox_pending: Gauge::default(),
            outbox_oldest_pending_age: Gauge::default(),
            outbox_dead: Gauge::default(),
            revocations_pending: Gauge::default(),
            registry: Registry::default(),
            gauges,
        };
        registry.register("issuances", "Issue requests by outcome", metrics.issuances.clone());
        registry.register(
            "standing_changes",
            "Certificates revoked, suspended or reinstated (to: the standing now)",
            metrics.standing_changes.clone(),
        );
        registry.register("wallet_offers", "Wallet offers the platform asked for", metrics.wallet_offers.clone());
        registry.register(
            "wallet_copies",
            "Copies of certificates learners' wallets took (protocol: openid4vci, vc-api)",
            metrics.wallet_copies.clone(),
        );
        registry.register("bulk_jobs", "Bulk jobs accepted", metrics.bulk_jobs.clone());
        registry.register(
            "bulk_rows_accepted",
            "Rows of the bulk jobs accepted (less the rows ended: the rows left to do)",
            metrics.bulk_rows_accepted.clone(),
        );
        registry.register(
            "bulk_rows",
            "Bulk rows ended, by outcome (issued, already_issued, failed)",
            metrics.bulk_rows.clone(),
        );
        registry.register(
            "bulk_row_retries",
            "Bulk rows given back to be tried again (another request in flight, an outage)",
            metrics.bulk_row_retries.clone(),
        );
        registry.register("upstream_calls", "Upstream calls by service and outcome", metrics.upstream_calls.clone());
        registry.register("upstream_call_duration_seconds", "Upstream call latency", metrics.upstream_duration.clone());
        registry.register("events_published", "Events acknowledged by the broker", metrics.events_published.clone());
        registry.register(
            "event_publish_failures",
            "Event deliveries that failed, by reason (unavailable, timeout, rejected, invalid_record)",
            metrics.publish_failures.clone(),
        );
        registry.register(
            "event_publish_duration_seconds",
            "Time to publish one batch",
            metrics.publish_duration.clone(),
        );
        registry.register(
            "event_publish_lag_seconds",
            "From the issuance's commit to the broker's acknowledgement, per event",
            metrics.publish_lag.clone(),
        );
        registry.register("outbox_pending_events", "Events not yet published (lag)", metrics.outbox_pending.clone());
        registry.register(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished event (lag)",
            metrics.outbox_oldest_pending_age.clone(),
        );
        registry.register("outbox_dead_events", "Events in dead-letter", metrics.outbox_dead.clone());
        registry.register(
            "revocations_pending",
            "Credentials superseded by a re-issue, not yet confirmed revoked",
            metrics.revocations_pending.clone(),
        );
        for reason in PUBLISH_FAILURE_REASONS {
            metrics.publish_failures.get_or_create(&ReasonLabels { reason }).inc_by(0);
        }
        Self { registry, ..metrics }
    }

    /// The registry the scrape reads, for the adapters' own metrics.
    pub fn registry(&mut self) -> &mut Registry {
        &mut self.registry
    }

    fn set_gauges(&self, outbox: &OutboxStatus) {
        self.outbox_pending.set(outbox.pending);
        self.outbox_dead.set(outbox.dead);
        self.revocations_pending.set(outbox.revocations_pending);
        let age = outbox.oldest_pending.map_or(0.0, |at| (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0);
        self.outbox_oldest_pending_age.set(age);
    }

    /// The registry in the OpenMetrics text format Prometheus scrapes.
    fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String never fails");
        text
    }
}

impl Metrics {
    /// Every metric, in the OpenMetrics text format, with the outbox's
    /// figures read now; a failed read keeps their last values, and is logged.
    pub async fn report(&self) -> String {
        match self.gauges.gauges().await {
            Ok(outbox) => self.set_gauges(&outbox),
            Err(error) => tracing::warn!(%error, "cannot read the outbox for the metrics"),
        }
        self.encode()
    }
}

impl Observer for Metrics {
    fn issuance_ended(&self, outcome: IssuanceOutcome) {
        self.issuances.get_or_create(&OutcomeLabels { outcome: outcome.as_str() }).inc();
    }

    fn standing_changed(&self, to: Standing) {
        self.standing_changes.get_or_create(&StandingLabels { to: to.as_str() }).inc();
    }

    fn wallet_offered(&self) {
        self.wallet_offers.inc();
    }

    fn wallet_copy_taken(&self, protocol: WalletProtocol) {
        self.wallet_copies.get_or_create(&ProtocolLabels { protocol: protocol.as_str() }).inc();
    }

    fn bulk_job_accepted(&self, rows: usize) {
        self.bulk_jobs.inc();
        self.bulk_rows_accepted.inc_by(rows as u64);
    }

    fn bulk_row_ended(&self, outcome: &RowOutcome) {
        self.bulk_rows.get_or_create(&OutcomeLabels { outcome: outcome.as_str() }).inc();
    }

    fn bulk_row_retried(&self) {
        self.bulk_row_retries.inc();
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use certificate_domain::ports::{cause_from, GaugeError, OutboxStatus, PublishError};

    use super::*;

    struct Fixed(OutboxStatus);

    #[async_trait]
    impl GaugeSource for Fixed {
        async fn gauges(&self) -> Result<OutboxStatus, GaugeError> {
            Ok(self.0)
        }
    }

    #[tokio::test]
    async fn the_report_names_every_observation_and_gauge() {
        let outbox = OutboxStatus { pending: 3, dead: 1, oldest_pending: None, revocations_pending: 2 };
        let metrics = Metrics::new(Arc::new(Fixed(outbox)));
        metrics.issuance_ended(IssuanceOutcome::Issued);
        metrics.bulk_job_accepted(3);
        metrics.bulk_row_ended(&RowOutcome::AlreadyIssued { certificate_id: "c".into() });
        metrics.bulk_row_retried();
        let report = metrics.report().await;
        for name in [
            "certificate_issuances_total{outcome=\"issued\"} 1",
            "certificate_bulk_jobs_total 1",
            "certificate_bulk_rows_accepted_total 3",
            "certificate_bulk_rows_total{outcome=\"already_issued\"} 1",
            "certificate_bulk_row_retries_total 1",
            "certificate_outbox_pending_events 3",
            "certificate_outbox_dead_events 1",
            "certificate_revocations_pending 2",
            "certificate_events_published_total 0",
        ] {
            assert!(report.contains(name), "{name} missing from\n{report}");
        }
    }

    /// Stops compiling when `PublishError` gains a variant the test below does not list.
    fn listed(error: &PublishError) {
        match error {
            PublishError::Unavailable(_)
            | PublishError::Timeout
            | PublishError::Rejected(_)
            | PublishError::InvalidRecord(_) => {}
        }
    }

    #[tokio::test]
    async fn every_publish_failure_reason_is_counted_from_zero() {
        let outbox = OutboxStatus { pending: 0, dead: 0, oldest_pending: None, revocations_pending: 0 };
        let report = Metrics::new(Arc::new(Fixed(outbox))).report().await;
        let cause = || cause_from("test");
        let every_variant = [
            PublishError::Unavailable(cause()),
            PublishError::Timeout,
            PublishError::Rejected(cause()),
            PublishError::InvalidRecord(cause()),
        ];
        for error in every_variant {
            listed(&error);
            let line = format!("certificate_event_publish_failures_total{{reason=\"{}\"}} 0", error.reason());
            assert!(report.contains(&line), "{line} missing from\n{report}");
        }
    }
}
