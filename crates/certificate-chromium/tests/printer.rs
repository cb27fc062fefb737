//! The printer against Debian's real Chromium (`make deps` installs it):
//! what it prints, what it refuses to fetch, and how it survives a dead
//! browser, a page that never finishes and a crowd.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
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

#[tokio::test(flavor = "multi_thread")]
async fn a_page_fetches_nothing_and_still_prints() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counting = connections.clone();
    std::thread::spawn(move || loop {
        if let Ok((mut stream, _)) = listener.accept() {
            counting.fetch_add(1, Ordering::SeqCst);
            let _ = stream.read(&mut [0; 1024]);
        }
        std::thread::sleep(Duration::from_millis(5));
    });
    let (printer, _) = printer(1, Duration::from_secs(30));
    let page = format!(
        "<link rel='stylesheet' href='http://127.0.0.1:{port}/style.css'>\
         <img src='http://127.0.0.1:{port}/pixel.png'><img src='https://fonts.googleapis.com/x.png'>\
         <p>Offline</p>"
    );
    let pdf = printer.print(&page).await.expect("a blocked request does not fail the print");
    assert!(text_of(&pdf).contains("Offline"));
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no request reached the network");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_browser_is_replaced_at_the_next_print() {
    let (printer, _) = printer(1, Duration::from_secs(30));
    printer.print("<p>first</p>").await.unwrap();
    let profile = format!("certificate-chromium-{}-", std::process::id());
    let killed = Command::new("pkill").args(["-KILL", "-f", &profile]).status().unwrap();
    assert!(killed.success(), "Chromium was running");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let next = printer.print("<p>second</p>").await;
    let pdf = match next {
        Ok(pdf) => pdf,
        // The print that meets the dead browser may fail; the one after it gets a new one.
        Err(PrintError::Unavailable(_)) => printer.print("<p>second</p>").await.unwrap(),
        Err(other) => panic!("{other}"),
    };
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
