//! The API on the in-memory store and fakes, in process.

use std::sync::Arc;

use actix_web::{test, App};
use certificate_domain::ports::SystemClock;
use certificate_domain::{IssuanceRoles, IssueCertificate, ReadCertificate};
use certificate_http::{configure, AppState, HttpMetrics, Scraped};
use certificate_memory::doubles::{FakeCredentialIssuer, RecordingObserver};
use certificate_memory::embedded::InMemoryStore;
use prometheus_client::registry::Registry;
use serde_json::Value;

pub fn state() -> AppState {
    let store = Arc::new(InMemoryStore::new());
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let issue = IssueCertificate::new(store.clone(), IssuanceRoles::played_by(issuer.clone()), Arc::new(SystemClock));
    AppState {
        issue: Arc::new(issue),
        read: Arc::new(ReadCertificate::new(store, issuer)),
        dependencies: Vec::new(),
        observer: Arc::new(RecordingObserver::default()),
        http_metrics: Arc::new(HttpMetrics::registered_in(&mut Registry::default())),
        scrape: Arc::new(|| Box::pin(async { Scraped { content_type: "text/plain", body: String::new() } })),
        did_document: None,
    }
}

/// The status and the JSON body of `request` on a fresh app.
pub async fn call(request: test::TestRequest) -> (u16, Value) {
    let app = test::init_service(App::new().configure(configure(state()))).await;
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let body: Value = test::read_body_json(response).await;
    (status, body)
}
