//! Liveness (the process serves), readiness (its dependencies answer) and the metrics scrape.

use actix_web::{web, HttpResponse};
use certificate_domain::ports::ReadinessCheck;
use futures_util::future::join_all;
use serde::Serialize;

use crate::AppState;

/// One dependency in the readiness answer.
#[derive(Debug, Clone, Serialize)]
struct DependencyStatus {
    name: &'static str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn status(dependency: &dyn ReadinessCheck) -> DependencyStatus {
    let error = dependency.check().await.err().map(|error| error.to_string());
    DependencyStatus { name: dependency.name(), ok: error.is_none(), error }
}

#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text)", content_type = "application/openmetrics-text", body = String)))]
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let scraped = (state.scrape)().await;
    HttpResponse::Ok().content_type(scraped.content_type).body(scraped.body)
}

#[utoipa::path(get, path = "/health/live", tag = "operations", operation_id = "live",
    responses((status = 200, description = "The process serves", body = Object)))]
pub(crate) async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/health/ready", tag = "operations", operation_id = "ready",
    responses(
        (status = 200, description = "Every dependency answers", body = Object),
        (status = 503, description = "A dependency does not answer; `failed` names it", body = Object),
    ))]
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let dependencies = join_all(state.dependencies.iter().map(|dependency| status(dependency.as_ref()))).await;
    let failed: Vec<&str> = dependencies.iter().filter(|d| !d.ok).map(|d| d.name).collect();
    let body = |status: &str| serde_json::json!({"status": status, "failed": failed, "dependencies": dependencies});
    if failed.is_empty() {
        HttpResponse::Ok().json(body("ready"))
    } else {
        HttpResponse::ServiceUnavailable().json(body("unavailable"))
    }
}
