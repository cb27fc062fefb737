//! The in-memory store keeps the repository, outbox and revocation queue
//! contracts that Postgres keeps, the fake credential issuer the contract the
//! HTTP adapter keeps, and the broker-less publishers the publisher contract
//! that the Kafka adapters keep, read back from where they send: the log
//! for the embedded publisher, the list of the recording double
//! (crates/certificate-postgres/tests/contracts.rs and tests/tests/system/contracts.rs run the same suites on Postgres and Kafka).

use std::io::Write;
use std::sync::{Arc, Mutex};

use certificate_domain::contract::{
    check_every_credential_role, check_gauges, check_html_renderer, check_job_store, check_outbox, check_pdf_printer,
    check_public_links, check_publisher, check_repo, check_revocations, check_standings, check_status_list_store,
    check_template_store, check_wallet_store, Destination, Received,
};
use certificate_domain::ports::{CertificatePublisher, PendingEvent};
use certificate_domain::{CertificateEvent, IssueRequest, RequestFields};
use certificate_memory::doubles::{ExampleLinks, FakeCredentialIssuer, FakePrinter, PlainRenderer, RecordingPublisher};
use certificate_memory::embedded::{DisabledPublisher, InMemoryStore, InMemoryTemplates, LoggingPublisher};
use serde_json::Value;

#[tokio::test]
async fn the_in_memory_store_keeps_the_outbox_contract() {
    check_outbox(|| async { InMemoryStore::new() }).await;
}

#[test]
fn the_plain_renderer_keeps_the_renderer_contract() {
    check_html_renderer(&PlainRenderer);
}

#[tokio::test]
async fn the_fake_printer_keeps_the_printer_contract() {
    check_pdf_printer(&FakePrinter::default()).await;
}

#[test]
fn the_example_links_keep_the_links_contract() {
    check_public_links(&ExampleLinks("https://links.example"), "https://links.example");
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_gauges_contract() {
    check_gauges(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_repository_contract() {
    check_repo(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_revocation_queue_contract() {
    check_revocations(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_standings_contract() {
    check_standings(|| async { InMemoryStore::new() }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_in_memory_store_keeps_the_status_list_store_contract() {
    check_status_list_store(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_template_store_keeps_the_template_store_contract() {
    check_template_store(|| async { InMemoryTemplates::new() }).await;
}

#[tokio::test]
async fn the_in_memory_fake_keeps_the_contract_of_every_credential_role() {
    check_every_credential_role(&FakeCredentialIssuer::new()).await;
}

/// The JSON log lines written while the test runs on this thread.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    /// Captures this thread's log (the tests run on a current-thread runtime).
    fn start(&self) -> tracing::subscriber::DefaultGuard {
        let log = self.clone();
        let subscriber = tracing_subscriber::fmt().json().with_writer(move || log.clone()).finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }
}

/// What the embedded publisher wrote: one `certificate_event` line per event.
impl Destination for CapturedLog {
    fn received(&self, _at_least: usize) -> Vec<Received> {
        self.lines()
            .iter()
            .filter(|line| line["target"] == "certificate_event")
            .map(|line| Received {
                key: line["fields"]["key"].as_str().unwrap_or_default().to_owned(),
                payload: line["fields"]["message"].as_str().unwrap_or_default().to_owned(),
                headers: Vec::new(),
            })
            .collect()
    }
}

struct Recorded<'a>(&'a RecordingPublisher);

impl Destination for Recorded<'_> {
    fn received(&self, _at_least: usize) -> Vec<Received> {
        let sent = self.0.sent().into_iter();
        sent.map(|event| Received { key: event.key, payload: event.payload, headers: Vec::new() }).collect()
    }
}

#[tokio::test]
async fn the_embedded_publisher_keeps_the_publisher_contract_in_its_log() {
    let log = CapturedLog::default();
    let _capturing = log.start();
    check_publisher(&LoggingPublisher, &log, None).await;
}

#[tokio::test]
async fn the_recording_double_keeps_the_publisher_contract() {
    let publisher = RecordingPublisher::new();
    check_publisher(&publisher, &Recorded(&publisher), None).await;
}

/// `kafkaEnabled=false` acknowledges each event with the NestJS service's
/// warning and sends nothing anywhere (not even to the log as an event).
#[tokio::test]
async fn the_disabled_publisher_warns_once_per_event_and_sends_nothing() {
    let log = CapturedLog::default();
    let _capturing = log.start();
    let fields: RequestFields = serde_json::from_value(serde_json::json!({
        "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_1", "courseName": "Intro",
        "firstName": "Ada", "lastName": "Lovelace", "issuanceDate": "2025-10-13", "expirationDate": "2099-10-13"
    }))
    .unwrap();
    let request = IssueRequest::parse(fields).unwrap();
    let events: Vec<PendingEvent> = (1..=3)
        .map(|id| {
            let event =
                CertificateEvent::certificate_issued(&request, "did:x", uuid::Uuid::new_v4(), chrono::Utc::now());
            PendingEvent::recorded(id, &event)
        })
        .collect();

    let results = DisabledPublisher.publish(&events).await;

    assert!(results.iter().all(Result::is_ok), "acknowledged, so that a replay can send them later");
    let warnings = log
        .lines()
        .iter()
        .filter(|line| {
            line["level"] == "WARN"
                && line["fields"]["message"] == "Kafka is disabled. Skipping tracking event publish."
        })
        .count();
    assert_eq!(warnings, events.len());
    assert!(log.received(0).is_empty(), "no event reaches the log as published");
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_wallet_store_contract() {
    check_wallet_store(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_job_store_contract() {
    check_job_store(|| async { InMemoryStore::new() }).await;
}
