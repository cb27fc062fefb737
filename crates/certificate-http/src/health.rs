//! Liveness (the process serves), readiness (its dependencies answer) and the metrics scrape.

use actix_web::{web, HttpResponse};
use async_trait::async_trait;
use serde::Serialize;

use crate::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct DependencyStatus {
    pub name: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Checks each dependency the service needs to take traffic, within a bound in time.
#[async_trait]
pub trait ReadinessCheck: Send + Sync + 'static {
    async fn check(&self) -> Vec<DependencyStatus>;
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health/live", web::get().to(live))
        .route("/health/ready", web::get().to(ready))
        .route("/metrics", web::get().to(metrics));
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.gauges.refresh(&state.metrics).await;
    HttpResponse::Ok().content_type(certificate_metrics::CONTENT_TYPE).body(state.metrics.encode())
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let dependencies = state.readiness.check().await;
    let failed: Vec<&str> = dependencies.iter().filter(|d| !d.ok).map(|d| d.name).collect();
    let body = |status: &str| serde_json::json!({"status": status, "failed": failed, "dependencies": dependencies});
    if failed.is_empty() {
        HttpResponse::Ok().json(body("ready"))
    } else {
        HttpResponse::ServiceUnavailable().json(body("unavailable"))
    }
}
