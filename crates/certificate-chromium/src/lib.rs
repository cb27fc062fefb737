//! The `PdfPrinter`: headless Chromium (Debian's `chromium`) driven over the
//! DevTools protocol by chromiumoxide.
//!
//! Promises:
//! - one browser per process, started at the first print, started again at
//!   the next print after it died (killed, crashed); its pages are kept
//!   open between prints (at most one per allowed print), a page that failed
//!   or timed out is closed;
//! - at most `PDF_CONCURRENCY` pages at once (default: one per core), the
//!   others wait their turn; each print, waiting included, ends within
//!   `PDF_TIMEOUT_MS` or fails as a timeout and its page is closed;
//! - A4, backgrounds printed, margins 10 mm top and bottom (the NestJS
//!   service's layout);
//! - no network: the browser's every request goes to a proxy that does not
//!   exist and every host name fails to resolve, so a page can only show
//!   what it carries (`data:` URLs) and the system's fonts;
//! - Chromium missing: every print fails as unavailable, naming
//!   `CHROMIUM_PATH`; nothing else of the service depends on it;
//! - the browser ends with this process, however it ends (launch.rs).
//!
//! The browser and its protocol handler live on a small runtime of their
//! own, so that the HTTP workers' runtimes never have to drive them.

mod launch;
mod metrics;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use async_trait::async_trait;
use certificate_domain::ports::{cause_from, PdfPrinter, PrintError};
use chromiumoxide::browser::Browser;
use chromiumoxide::cdp::browser_protocol::network::{BlockPattern, SetBlockedUrLsParams};
use chromiumoxide::cdp::browser_protocol::page::PrintToPdfParams;
use chromiumoxide::cdp::browser_protocol::target::CloseTargetParams;
use chromiumoxide::cdp::js_protocol::heap_profiler::CollectGarbageParams;
use chromiumoxide::cdp::js_protocol::runtime::TerminateExecutionParams;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Page;
use futures_util::StreamExt;
use launch::Launched;
use serde::Deserialize;
use tokio::sync::{Mutex, Semaphore};

pub use metrics::PrinterMetrics;

/// `PDF_CONCURRENCY`, `PDF_TIMEOUT_MS`, `CHROMIUM_PATH`.
#[derive(Debug, Clone)]
pub struct ChromiumConfig {
    pub executable: PathBuf,
    pub concurrency: usize,
    pub timeout: Duration,
}

#[derive(Deserialize)]
struct Env {
    chromium_path: Option<PathBuf>,
    pdf_concurrency: Option<usize>,
    pdf_timeout_ms: Option<u64>,
}

impl ChromiumConfig {
    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Self, envy::Error> {
        let env: Env = envy::from_iter(vars)?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            executable: env.chromium_path.unwrap_or_else(default_executable),
            concurrency: env.pdf_concurrency.unwrap_or(cores).max(1),
            timeout: Duration::from_millis(env.pdf_timeout_ms.unwrap_or(30_000)),
        })
    }
}

/// Debian's headless shell (package chromium-headless-shell: Chromium's
/// engine without the browser's own pages, which cost a renderer process of
/// their own) when it is installed, else Debian's chromium. The binaries
/// themselves, not /usr/bin's scripts that start them: a script's child
/// would not end with this process (launch.rs).
pub fn default_executable() -> PathBuf {
    ["/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("/usr/lib/chromium/chromium"))
}

const MM_PER_INCH: f64 = 25.4;
const A4_MM: (f64, f64) = (210.0, 297.0);
const MARGIN_MM: f64 = 10.0;

/// Flags that leave the page no way out and Chromium nothing to fetch for
/// itself, keep its processes few (every page in one renderer: on two cores
/// as fast as one renderer per page, and 100 MiB less; BENCHMARKS.md), and
/// leave /dev/shm alone (a container keeps it small). launch.rs adds the
/// leading `--` and the flags of every launch.
const CHROMIUM_ARGS: [&str; 7] = [
    "disable-dev-shm-usage",
    "renderer-process-limit=1",
    "proxy-server=127.0.0.1:9",
    "proxy-bypass-list=<-loopback>",
    "host-resolver-rules=MAP * ~NOTFOUND",
    "disable-quic",
    "disable-component-update",
];

pub struct ChromiumPrinter {
    config: ChromiumConfig,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    browser: Arc<Mutex<Option<Arc<Running>>>>,
    pages: Arc<Semaphore>,
    metrics: Arc<PrinterMetrics>,
    launches: AtomicU64,
}

/// A launched browser, the task driving its protocol (it ends when the
/// browser's connection does), and its pages between two prints: opening a
/// page costs more than printing on one that is open (BENCHMARKS.md).
struct Running {
    process: Launched,
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    idle_pages: std::sync::Mutex<Vec<Page>>,
    prints: AtomicU64,
}

/// Every page loaded leaves its document to the renderer's garbage
/// collector, which lets the renderer grow by 100 MiB before it runs;
/// collecting after every 20th print keeps it near its size at start for no
/// measurable cost (BENCHMARKS.md).
const PRINTS_PER_COLLECTION: u64 = 20;

impl Running {
    /// An idle page, or a new one that may fetch nothing.
    async fn page(&self, deadline: Instant) -> Result<Page, PrintError> {
        if let Some(page) = self.idle_pages.lock().expect("the page list").pop() {
            return Ok(page);
        }
        let unavailable = |e| PrintError::Unavailable(cause_from(format!("Chromium cannot open a page: {e}")));
        let page = within(deadline, self.browser.new_page("about:blank")).await?.map_err(unavailable)?;
        within(deadline, page.execute(block_everything())).await?.map_err(unavailable)?;
        Ok(page)
    }

    async fn keep(&self, page: Page, deadline: Instant) {
        if self.prints.fetch_add(1, Ordering::Relaxed) % PRINTS_PER_COLLECTION == PRINTS_PER_COLLECTION - 1 {
            // A failed collection costs memory, not the print.
            let _ = within(deadline, page.execute(CollectGarbageParams::default())).await;
        }
        self.idle_pages.lock().expect("the page list").push(page);
    }

    /// Through the browser, so that a page stuck in a script is closed too;
    /// its script is stopped first, since the renderer it holds busy is the
    /// one every page shares.
    async fn close(&self, page: Page) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, page.execute(TerminateExecutionParams::default())).await;
        let close = self.browser.execute(CloseTargetParams::new(page.target_id().clone()));
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
    }
}

impl ChromiumPrinter {
    pub fn new(config: ChromiumConfig, metrics: Arc<PrinterMetrics>) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("chromium")
            .enable_all()
            .build()?;
        let pages = Arc::new(Semaphore::new(config.concurrency));
        let runtime = Some(runtime);
        Ok(Self { config, runtime, browser: Arc::default(), pages, metrics, launches: AtomicU64::new(0) })
    }

    /// The running browser, launched if there is none or it died.
    async fn browser(
        slot: &Mutex<Option<Arc<Running>>>,
        config: &ChromiumConfig,
        launch: u64,
    ) -> Result<Arc<Running>, PrintError> {
        let mut slot = slot.lock().await;
        if let Some(running) = slot.as_ref().filter(|running| !running.handler.is_finished()) {
            // A killed browser's connection may not say so at once: ask it.
            if tokio::time::timeout(PROBE_TIMEOUT, running.browser.version()).await.is_ok_and(|answer| answer.is_ok()) {
                return Ok(running.clone());
            }
        }
        if let Some(dead) = slot.take() {
            tracing::warn!("the PDF printer's Chromium died; starting another");
            dead.process.stop().await;
        }
        let running = Arc::new(launch_browser(config, launch).await?);
        *slot = Some(running.clone());
        Ok(running)
    }

    /// Forgets the browser after a failure, so that the next print starts a fresh one.
    async fn discard(slot: &Mutex<Option<Arc<Running>>>) {
        if let Some(running) = slot.lock().await.take() {
            running.handler.abort();
            running.process.stop().await;
        }
    }
}

/// The runtime may be dropped from within another (a test's, actix's), where
/// blocking on its shutdown is not allowed; Chromium dies with the runtime's
/// thread that started it (launch.rs).
impl Drop for ChromiumPrinter {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn launch_browser(config: &ChromiumConfig, launch: u64) -> Result<Running, PrintError> {
    if !config.executable.exists() {
        return Err(PrintError::Unavailable(cause_from(format!(
            "Chromium was not found at {} (install Debian's chromium, or set CHROMIUM_PATH)",
            config.executable.display()
        ))));
    }
    let failed = |message: String| PrintError::Unavailable(cause_from(message));
    let (process, url) = Launched::start(&config.executable, &CHROMIUM_ARGS, launch).await.map_err(failed)?;
    let handler_config = HandlerConfig {
        request_timeout: config.timeout,
        viewport: Some(Viewport::default()),
        ..HandlerConfig::default()
    };
    let (browser, mut handler) = Browser::connect_with_config(url, handler_config)
        .await
        .map_err(|error| failed(format!("Chromium did not answer: {error}")))?;
    let handler = tokio::spawn(async move {
        // An event this version of the protocol types does not know is an
        // error of that one message, not of the connection.
        while handler.next().await.is_some() {}
    });
    tracing::info!(executable = %config.executable.display(), "the PDF printer started Chromium");
    Ok(Running { process, browser, handler, idle_pages: std::sync::Mutex::default(), prints: AtomicU64::new(0) })
}

fn pdf_params() -> PrintToPdfParams {
    let inches = |mm: f64| mm / MM_PER_INCH;
    PrintToPdfParams {
        paper_width: Some(inches(A4_MM.0)),
        paper_height: Some(inches(A4_MM.1)),
        margin_top: Some(inches(MARGIN_MM)),
        margin_bottom: Some(inches(MARGIN_MM)),
        margin_left: Some(0.0),
        margin_right: Some(0.0),
        print_background: Some(true),
        ..PrintToPdfParams::default()
    }
}

/// Prints on an idle page of the browser, kept for the next print when it
/// printed, closed otherwise (a page that timed out may still be running).
async fn print_on(running: &Running, html: &str, deadline: Instant) -> Result<Vec<u8>, PrintError> {
    let page = running.page(deadline).await?;
    let printed = within(deadline, async {
        page.set_content(html).await.map_err(|e| format!("cannot load the page: {e}"))?;
        page.pdf(pdf_params()).await.map_err(|e| format!("cannot print the page: {e}"))
    })
    .await;
    match printed {
        Ok(Ok(pdf)) => {
            running.keep(page, deadline).await;
            Ok(pdf)
        }
        failed => {
            running.close(page).await;
            failed?.map_err(|message| PrintError::Failed(cause_from(message)))
        }
    }
}

/// Every URL with a host: what a page could fetch (`data:` URLs have none,
/// and are never requests).
fn block_everything() -> SetBlockedUrLsParams {
    SetBlockedUrLsParams { url_patterns: Some(vec![BlockPattern::new("*://*:*/*", true)]) }
}

const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The step, or a timeout if the print's deadline passes first.
async fn within<T>(deadline: Instant, step: impl std::future::Future<Output = T>) -> Result<T, PrintError> {
    tokio::time::timeout_at(deadline, step).await.map_err(|_| PrintError::Timeout(0))
}

#[async_trait]
impl PdfPrinter for ChromiumPrinter {
    async fn print(&self, html: &str) -> Result<Vec<u8>, PrintError> {
        let (slot, config, pages, metrics) =
            (self.browser.clone(), self.config.clone(), self.pages.clone(), self.metrics.clone());
        let launch = self.launches.fetch_add(1, Ordering::Relaxed);
        let html = html.to_owned();
        let timeout = self.config.timeout;
        let runtime = self.runtime.as_ref().expect("the runtime lives as long as the printer");
        let job = runtime.spawn(async move {
            let deadline = Instant::now() + timeout;
            let _turn = within(deadline, pages.acquire()).await?.expect("the semaphore is never closed");
            let running = within(deadline, ChromiumPrinter::browser(&slot, &config, launch)).await??;
            let _open = metrics.page_opened();
            let printed = print_on(&running, &html, deadline).await;
            if matches!(printed, Err(PrintError::Unavailable(_) | PrintError::Failed(_))) {
                // Chromium crashed, or a page of it did: the next print gets a fresh browser.
                ChromiumPrinter::discard(&slot).await;
            }
            printed.map_err(|error| match error {
                PrintError::Timeout(_) => PrintError::Timeout(timeout.as_millis() as u64),
                other => other,
            })
        });
        let printed = job.await.map_err(|error| PrintError::Failed(cause_from(error.to_string())))?;
        self.metrics.printed(&printed);
        printed
    }
}
