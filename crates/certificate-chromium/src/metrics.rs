//! The printer's metrics: pages open now and at most since the start, and
//! prints by outcome (`certificate_pdf_*` in the service's registry, whose
//! prefix is `certificate`).

use std::sync::atomic::{AtomicI64, Ordering};

use certificate_domain::ports::PrintError;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Default)]
pub struct PrinterMetrics {
    open: Gauge,
    open_max: Gauge,
    prints: Family<Outcome, Counter>,
    high_water: AtomicI64,
}

impl PrinterMetrics {
    pub fn registered_in(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("pdf_pages_open", "Chromium pages printing now", metrics.open.clone());
        registry.register(
            "pdf_pages_open_max",
            "The most Chromium pages printing at once since the start",
            metrics.open_max.clone(),
        );
        registry.register("pdf_prints", "PDF prints by outcome", metrics.prints.clone());
        for outcome in ["printed", "timeout", "unavailable", "failed"] {
            let _ = metrics.prints.get_or_create(&Outcome { outcome });
        }
        metrics
    }

    /// The most pages that were printing at once.
    pub fn most_pages_open(&self) -> i64 {
        self.high_water.load(Ordering::Relaxed)
    }

    pub(crate) fn page_opened(&self) -> OpenPage<'_> {
        let now = self.open.inc() + 1;
        let max = self.high_water.fetch_max(now, Ordering::Relaxed).max(now);
        self.open_max.set(max);
        OpenPage(self)
    }

    pub(crate) fn printed(&self, printed: &Result<Vec<u8>, PrintError>) {
        let outcome = match printed {
            Ok(_) => "printed",
            Err(PrintError::Timeout(_)) => "timeout",
            Err(PrintError::Unavailable(_)) => "unavailable",
            Err(PrintError::Failed(_)) => "failed",
        };
        self.prints.get_or_create(&Outcome { outcome }).inc();
    }
}

/// A page counted open until dropped.
pub(crate) struct OpenPage<'a>(&'a PrinterMetrics);

impl Drop for OpenPage<'_> {
    fn drop(&mut self) {
        self.0.open.dec();
    }
}
