//! The HTTP metrics, which this crate keeps itself: requests by route
//! pattern (never the raw path, so that the label set stays bounded),
//! method and status, and latency by route. They live in the registry the
//! service's metrics are scraped from (certificate-metrics puts it
//! together), and `/metrics` answers what [`Scrape`] gives.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// 1 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    /// The HTTP metrics, registered in `registry`.
    pub fn registered_in(registry: &mut Registry) -> Self {
        let metrics = Self { requests: Family::default(), duration: Family::new_with_constructor(latency_histogram) };
        registry.register("http_requests", "HTTP requests by route, method and status", metrics.requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", metrics.duration.clone());
        metrics
    }

    pub(crate) fn request_served(&self, route: String, method: String, status: u16, seconds: f64) {
        self.duration.get_or_create(&RouteLabels { route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { route, method, status }).inc();
    }
}

/// A scrape: the text and its content type.
pub struct Scraped {
    pub content_type: &'static str,
    pub body: String,
}

/// What `/metrics` answers, read at each scrape.
pub type Scrape = Arc<dyn Fn() -> BoxFuture<'static, Scraped> + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_counted_by_route_method_and_status_and_timed_by_route() {
        let mut registry = Registry::with_prefix("certificate");
        let metrics = HttpMetrics::registered_in(&mut registry);
        metrics.request_served("/certificate/issue".into(), "POST".into(), 200, 0.01);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        let counted = "certificate_http_requests_total{route=\"/certificate/issue\",method=\"POST\",status=\"200\"} 1";
        assert!(text.contains(counted), "{text}");
        let timed = "certificate_http_request_duration_seconds_count{route=\"/certificate/issue\"} 1";
        assert!(text.contains(timed), "{text}");
    }
}
