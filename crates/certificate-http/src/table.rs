//! The route table: every route the service serves, registered from here
//! and nowhere else, so that the served routes can be listed
//! ([`served_routes`]) and checked against the OpenAPI document (every one
//! documented, every documented one served; crates/certificate-http/tests).

use actix_web::{web, HttpResponse, Route};

use crate::{health, openapi, rendering, routes, standing, status, LEGACY_PREFIX};

struct RouteSpec {
    path: String,
    method: &'static str,
    handler: fn() -> Route,
    /// Takes bodies up to `rendering::MAX_DESIGN_BODY_BYTES` (templates), not 64 KiB.
    large_bodies: bool,
}

fn spec(path: impl Into<String>, method: &'static str, handler: fn() -> Route) -> RouteSpec {
    RouteSpec { path: path.into(), method, handler, large_bodies: false }
}

/// In registration order: for each prefix, verify and the operator routes
/// before read, since `/certificate/{userId}/{courseId}` would take `verify`
/// or `revoke` for a course id.
fn route_table() -> Vec<RouteSpec> {
    let mut table = vec![
        spec("/.well-known/did.json", "GET", || web::get().to(routes::did_document)),
        spec("/health/live", "GET", || web::get().to(health::live)),
        spec("/health/ready", "GET", || web::get().to(health::ready)),
        spec("/metrics", "GET", || web::get().to(health::metrics)),
        spec("/openapi.json", "GET", || web::get().to(openapi::openapi_json)),
        spec("/status/{listId}", "GET", || web::get().to(status::status_list)),
    ];
    for prefix in ["", LEGACY_PREFIX] {
        table.push(spec(format!("{prefix}/certificate/issue"), "POST", || web::post().to(routes::issue_certificate)));
        let verify = format!("{prefix}/certificate/{{certificateId}}/verify");
        table.push(spec(verify, "GET", || web::get().to(routes::verify_certificate)));
        let operator = |action: &str| format!("{prefix}/certificate/{{certificateId}}/{action}");
        table.push(spec(operator("revoke"), "POST", || web::post().to(standing::revoke)));
        table.push(spec(operator("suspend"), "POST", || web::post().to(standing::suspend)));
        table.push(spec(operator("reinstate"), "POST", || web::post().to(standing::reinstate)));
        let read = format!("{prefix}/certificate/{{userId}}/{{courseId}}");
        table.push(spec(read, "GET", || web::get().to(routes::read_certificate)));
        let certificate = |name: &str| format!("{prefix}/certificate/{name}");
        table.push(spec(certificate("render"), "POST", || web::post().to(rendering::render_html)));
        table.push(spec(certificate("render-PDF"), "POST", || web::post().to(rendering::render_pdf)));
        table.push(spec(certificate("generateDid"), "POST", || web::post().to(rendering::generate_did)));
        for (name, handler) in [
            ("template", (|| web::post().to(rendering::create_template)) as fn() -> Route),
            ("schema", || web::post().to(rendering::create_schema)),
        ] {
            table.push(RouteSpec { large_bodies: true, ..spec(certificate(name), "POST", handler) });
        }
    }
    table
}

/// Every route the service serves, as (method, path) with the OpenAPI
/// document's `{parameter}` names.
pub fn served_routes() -> Vec<(&'static str, String)> {
    route_table().into_iter().map(|spec| (spec.method, spec.path)).collect()
}

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    for spec in route_table() {
        let allow = spec.method;
        let mut resource = web::resource(spec.path.as_str()).route((spec.handler)());
        if spec.large_bodies {
            resource = resource.app_data(rendering::design_json_config());
        }
        cfg.service(resource.default_service(web::to(move || method_not_allowed(allow))));
    }
}

/// A known path asked with another method.
async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", allow))
        .json(serde_json::json!({"success": false, "statusCode": 405, "message": format!("use {allow}")}))
}
