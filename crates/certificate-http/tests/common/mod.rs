//! The API on the in-memory store and fakes, in process.

use std::sync::Arc;

use actix_web::{test, App};
use certificate_domain::ports::{SystemClock, SystemRandomness};
use certificate_domain::use_cases::BulkIssuance;
use certificate_domain::{
    ChangeStanding, IssuanceRoles, IssueCertificate, LocalRendering, ManageTemplates, ReadCertificate,
    RenderCertificate, RenderSources, TemplateRegistry,
};
use certificate_http::{configure, AppState, HttpMetrics, PublicRoutes, Scraped, Tokens, VerifyPage};
use certificate_memory::doubles::{FakeCredentialIssuer, FakePrinter, PlainRenderer, RecordingObserver};
use certificate_memory::embedded::{InMemoryStore, InMemoryTemplates};
use prometheus_client::registry::Registry;
use serde_json::Value;

pub fn state() -> AppState {
    let store = Arc::new(InMemoryStore::new());
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let observer = Arc::new(RecordingObserver::default());
    let issue = IssueCertificate::new(
        store.clone(),
        IssuanceRoles::played_by(issuer.clone()),
        Arc::new(SystemClock),
        observer.clone(),
    );
    let (templates, renderer) = (Arc::new(InMemoryTemplates::new()), Arc::new(PlainRenderer));
    let links = Arc::new(PublicRoutes::new("http://localhost:3000"));
    let verify_page = VerifyPage { links: links.clone(), shows_name: true, indexable: false };
    let local = LocalRendering { repo: store.clone(), templates: templates.clone(), renderer: renderer.clone(), links };
    let source = RenderSources { upstream: None, local };
    let keeper = TemplateRegistry::Local {
        store: templates,
        renderer,
        clock: Arc::new(SystemClock),
        ids: Arc::new(SystemRandomness),
    };
    let standings = ChangeStanding::new(
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SystemRandomness),
        observer.clone(),
        false,
    );
    AppState {
        issue: Arc::new(issue),
        read: Arc::new(ReadCertificate::new(store.clone(), issuer.clone(), store.clone())),
        render: Arc::new(RenderCertificate::new(source, Arc::new(FakePrinter::default()), 1 << 20)),
        templates: Arc::new(ManageTemplates::new(keeper)),
        identity: issuer,
        dependencies: Vec::new(),
        http_metrics: Arc::new(HttpMetrics::registered_in(&mut Registry::default())),
        scrape: Arc::new(|| Box::pin(async { Scraped { content_type: "text/plain", body: String::new() } })),
        did_document: None,
        status_lists: None,
        standings: Arc::new(standings),
        verify_page,
        wallet: None,
        bulk: Arc::new(BulkIssuance::new(store, Arc::new(SystemClock), Arc::new(SystemRandomness), observer, 100)),
        bulk_body_bytes: 1 << 20,
    }
}

/// The status and the JSON body of `request` on a fresh app.
pub async fn call(request: test::TestRequest) -> (u16, Value) {
    let app = test::init_service(App::new().configure(configure(state(), Tokens::default()))).await;
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let body: Value = test::read_body_json(response).await;
    (status, body)
}
