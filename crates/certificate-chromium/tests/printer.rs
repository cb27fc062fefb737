//! The printer against Debian's real Chromium (`make deps` installs it):
//! what it prints, what it refuses to fetch, and how it survives a dead
//! browser, a page that never finishes and a crowd.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certificate_chromium::{ChromiumConfig, ChromiumPrinter, PrinterMetrics};
use certificate_domain::ports::{PdfPrinter, PrintError};

fn printer(concurrency: usize, timeout: Duration) -> (ChromiumPrinter, Arc<PrinterMetrics>) {
    let config = ChromiumConfig { executable: certificate_chromium::default_executable(), concurrency, timeout };
    let metrics = Arc::new(PrinterMetrics::default());
    (ChromiumPrinter::new(config, metrics.clone()).expect("the printer's runtime"), metrics)
}

/// The text of a PDF, by poppler's `pdftotext`.
fn text_of(pdf: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("printer-test-{}.pdf", uuid_like()));
    std::fs::write(&file, pdf).unwrap();
    let output = Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
    let _ = std::fs::remove_file(&file);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn uuid_like() -> String {
    format!("{}-{:?}", std::process::id(), Instant::now()).chars().filter(char::is_ascii_alphanumeric).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn chromium_keeps_the_printer_contract() {
    let (printer, _) = printer(1, Duration::from_secs(30));
    certificate_domain::contract::check_pdf_printer(&printer).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn prints_an_a4_pdf_with_the_pages_text_in_every_script() {
    let (printer, _) = printer(1, Duration::from_secs(30));
    let pdf = printer.print("<meta charset='UTF-8'><h1>Ada Lovelace</h1><p>अनन्या शर्मा</p>").await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = text_of(&pdf);
    assert!(text.contains("Ada Lovelace") && text.contains("अनन्या शर्मा"), "{text}");
    let file = std::env::temp_dir().join(format!("printer-a4-{}.pdf", uuid_like()));
    std::fs::write(&file, &pdf).unwrap();
    let info = Command::new("pdfinfo").arg(&file).output().expect("pdfinfo");
    let _ = std::fs::remove_file(&file);
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("595.") && info.contains("841."), "A4 is 595 x 842 points: {info}");
}

/// A loopback listener that keeps the first line of whatever reaches it.
fn listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let arrived = Arc::new(Mutex::new(Vec::new()));
    let log = arrived.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            stream.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
            let mut first = [0; 256];
            let read = stream.read(&mut first).unwrap_or(0);
            let line = String::from_utf8_lossy(&first[..read]).lines().next().unwrap_or("(a connection)").to_owned();
            log.lock().unwrap().push(line);
        }
    });
    (port, arrived)
}

/// Every way a page has to reach a host, each pointed at a listener of the
/// test on loopback (the cluster's services are as near to a pod). Three
/// layers stop them (crates/certificate-chromium/src/lib.rs): the page's
/// blocked URLs, the dead proxy and the resolver that resolves nothing.
/// Tried by removing them: any one alone, or any two but the proxy and the
/// resolver together, leaves this test green; without the proxy and the
/// resolver the WebSocket, the iframe and `window.open` arrive (the blocked
/// URLs are the page's own and cover neither sockets nor other frames and
/// windows); without all three, all but the two workers (which this page's
/// origin may not start) arrive.
fn reaching_out(port: u16) -> String {
    let base = format!("http://127.0.0.1:{port}");
    format!(
        "<link rel='stylesheet' href='{base}/link.css'>\
         <img src='{base}/img.png'><img src='https://fonts.googleapis.com/x.png'>\
         <iframe src='{base}/iframe'></iframe>\
         <script>\
           fetch('{base}/fetch').catch(() => {{}});\
           const xhr = new XMLHttpRequest(); xhr.open('GET', '{base}/xhr'); xhr.send();\
           try {{ new WebSocket('ws://127.0.0.1:{port}/websocket'); }} catch (e) {{}}\
           try {{ window.open('{base}/window-open'); }} catch (e) {{}}\
           try {{ navigator.sendBeacon('{base}/beacon', 'learner'); }} catch (e) {{}}\
           try {{ navigator.serviceWorker.register('{base}/worker.js').catch(() => {{}}); }} catch (e) {{}}\
           try {{ new EventSource('{base}/event-source'); }} catch (e) {{}}\
           try {{ new Worker('{base}/worker.js'); }} catch (e) {{}}\
         </script>\
         <p>Offline</p>"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_reaches_no_host_by_any_means_and_still_prints() {
    let (port, arrived) = listener();
    let (printer, _) = printer(1, Duration::from_secs(30));
    let pdf = printer.print(&reaching_out(port)).await.expect("a blocked request does not fail the print");
    assert!(text_of(&pdf).contains("Offline"));
    let pdf = printer.print("<p>the next page</p>").await.expect("the next print");
    assert!(text_of(&pdf).contains("the next page"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(*arrived.lock().unwrap(), Vec::<String>::new(), "nothing reached the listener");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_browser_is_replaced_at_the_next_print() {
    let (printer, _) = printer(1, Duration::from_secs(30));
    printer.print("<p>first</p>").await.unwrap();
    let profile = format!("certificate-chromium-{}-", std::process::id());
    let killed = Command::new("pkill").args(["-KILL", "-f", &profile]).status().unwrap();
    assert!(killed.success(), "Chromium was running");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pdf = printer.print("<p>second</p>").await.expect("the next print, on a new browser");
    assert!(text_of(&pdf).contains("second"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_never_finishes_times_out_and_the_next_prints() {
    let (printer, _) = printer(1, Duration::from_secs(3));
    let started = Instant::now();
    let error = printer.print("<p>busy</p><script>while (true) {}</script>").await.unwrap_err();
    assert!(matches!(error, PrintError::Timeout(3000)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5), "within the timeout: {:?}", started.elapsed());
    let pdf = printer.print("<p>after</p>").await.expect("the next print");
    assert!(text_of(&pdf).contains("after"));
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_prints_at_once_all_succeed_with_at_most_two_pages_open() {
    let (printer, metrics) = printer(2, Duration::from_secs(60));
    let printer = Arc::new(printer);
    let prints = (0..20).map(|n| {
        let printer = printer.clone();
        tokio::spawn(async move { printer.print(&format!("<p>page {n}</p>")).await })
    });
    for print in futures_util::future::join_all(prints).await {
        assert!(print.unwrap().unwrap().starts_with(b"%PDF-"));
    }
    assert_eq!(metrics.most_pages_open(), 2, "two pages at once, never more");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_chromium_the_printer_is_unavailable_and_says_which_variable() {
    let config = ChromiumConfig {
        executable: PathBuf::from("/nonexistent/chromium"),
        concurrency: 1,
        timeout: Duration::from_secs(5),
    };
    let printer = ChromiumPrinter::new(config, Arc::default()).unwrap();
    let error = printer.print("<p>x</p>").await.unwrap_err();
    assert!(matches!(error, PrintError::Unavailable(_)), "{error}");
    assert!(error.to_string().contains("CHROMIUM_PATH"), "{error}");
}
