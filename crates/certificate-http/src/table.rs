//! The route table: every route the service serves, with who may call it,
//! registered from here and nowhere else, so that the served routes can be
//! listed ([`served_routes`]), checked against the OpenAPI document (every
//! one documented, every documented one served; crates/certificate-http/tests)
//! and walked under every spelling by the authentication test
//! (tests/tests/system/auth.rs). Each route's [`Access`] wraps its own
//! resource, so it is checked on the route the router chose.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, Route};

use crate::auth::{self, Access};
use crate::{bulk, certificates, errors, health, openapi, published, rendering, standing, wallet, LEGACY_PREFIX};

struct RouteSpec {
    path: String,
    method: &'static str,
    handler: fn() -> Route,
    access: Access,
    /// Takes bodies up to `rendering::MAX_DESIGN_BODY_BYTES` (templates), not 64 KiB.
    large_bodies: bool,
}

fn spec(path: impl Into<String>, method: &'static str, access: Access, handler: fn() -> Route) -> RouteSpec {
    RouteSpec { path: path.into(), method, handler, access, large_bodies: false }
}

/// A route of the service: its method, its path with the OpenAPI document's
/// `{parameter}` names, and who may call it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedRoute {
    pub method: &'static str,
    pub path: String,
    pub access: Access,
}

/// In registration order: for each prefix, the bulk routes, verify, the
/// operator routes and the wallet offer before read, since
/// `/certificate/{userId}/{courseId}` would take `issue/bulk`, `jobs/…`,
/// `verify`, `revoke` or `wallet-offer` for a learner and a course.
fn route_table() -> Vec<RouteSpec> {
    let mut table = vec![
        spec("/.well-known/did.json", "GET", Access::Open, || web::get().to(published::did_document)),
        spec("/health/live", "GET", Access::Open, || web::get().to(health::live)),
        spec("/health/ready", "GET", Access::Open, || web::get().to(health::ready)),
        spec("/metrics", "GET", Access::Open, || web::get().to(health::metrics)),
        spec("/openapi.json", "GET", Access::Open, || web::get().to(openapi::openapi_json)),
        spec("/status/{listId}", "GET", Access::Open, || web::get().to(published::status_list)),
        spec("/.well-known/openid-credential-issuer", "GET", Access::Open, || {
            web::get().to(wallet::openid4vci::credential_issuer_metadata)
        }),
        spec("/.well-known/oauth-authorization-server", "GET", Access::Open, || {
            web::get().to(wallet::openid4vci::authorization_server_metadata)
        }),
        spec("/.well-known/openid-credential-issuer/{issuerPath:.+}", "GET", Access::Open, || {
            web::get().to(wallet::openid4vci::credential_issuer_metadata_of_a_path)
        }),
        spec("/.well-known/oauth-authorization-server/{issuerPath:.+}", "GET", Access::Open, || {
            web::get().to(wallet::openid4vci::authorization_server_metadata_of_a_path)
        }),
        spec("/openid4vci/offers/{offer}", "GET", Access::Open, || web::get().to(wallet::openid4vci::credential_offer)),
        spec("/openid4vci/token", "POST", Access::Open, || web::post().to(wallet::openid4vci::token)),
        spec("/openid4vci/nonce", "POST", Access::Open, || web::post().to(wallet::openid4vci::nonce)),
        spec("/openid4vci/credential", "POST", Access::Open, || web::post().to(wallet::openid4vci::credential)),
        spec("/vc-api/interactions/{offer}", "GET", Access::Open, || web::get().to(wallet::vc_api::interaction)),
        spec("/vc-api/exchanges/{offer}", "POST", Access::Open, || web::post().to(wallet::vc_api::exchange)),
    ];
    // Last: it would take any path that ends in /did.json.
    let did_web_with_a_path =
        spec("/{didPath:.+}/did.json", "GET", Access::Open, || web::get().to(published::did_document_of_a_path));
    for prefix in ["", LEGACY_PREFIX] {
        let certificate = |name: &str| format!("{prefix}/certificate/{name}");
        table.push(spec(certificate("issue"), "POST", Access::Api, || web::post().to(certificates::issue_certificate)));
        table.push(spec(certificate("issue/bulk"), "POST", Access::Api, || web::post().to(bulk::issue_bulk)));
        table.push(spec(certificate("jobs/{jobId}"), "GET", Access::Api, || web::get().to(bulk::report::job_report)));
        let cancel = certificate("jobs/{jobId}/cancel");
        table.push(spec(cancel, "POST", Access::Api, || web::post().to(bulk::cancel::cancel_job)));
        let verify = certificate("{certificateId}/verify");
        table.push(spec(verify, "GET", Access::Open, || web::get().to(certificates::verify_certificate)));
        let operator = |action: &str| certificate(&format!("{{certificateId}}/{action}"));
        table.push(spec(operator("revoke"), "POST", Access::Operator, || web::post().to(standing::revoke)));
        table.push(spec(operator("suspend"), "POST", Access::Operator, || web::post().to(standing::suspend)));
        table.push(spec(operator("reinstate"), "POST", Access::Operator, || web::post().to(standing::reinstate)));
        table.push(spec(operator("wallet-offer"), "POST", Access::Api, || web::post().to(wallet::offer::wallet_offer)));
        let read = certificate("{userId}/{courseId}");
        table.push(spec(read, "GET", Access::Api, || web::get().to(certificates::read_certificate)));
        table.push(spec(certificate("render"), "POST", Access::Api, || web::post().to(rendering::render_html)));
        table.push(spec(certificate("render-PDF"), "POST", Access::Api, || web::post().to(rendering::render_pdf)));
        table.push(spec(certificate("generateDid"), "POST", Access::Api, || web::post().to(rendering::generate_did)));
        for (name, handler) in [
            ("template", (|| web::post().to(rendering::create_template)) as fn() -> Route),
            ("schema", || web::post().to(rendering::create_schema)),
        ] {
            table.push(RouteSpec { large_bodies: true, ..spec(certificate(name), "POST", Access::Api, handler) });
        }
    }
    table.push(did_web_with_a_path);
    table
}

/// Every route the service serves.
pub fn served_routes() -> Vec<ServedRoute> {
    route_table()
        .into_iter()
        .map(|spec| ServedRoute { method: spec.method, path: documented(&spec.path), access: spec.access })
        .collect()
}

/// A route's path as the OpenAPI document writes it: `{name}` for actix's
/// `{name:pattern}`.
fn documented(path: &str) -> String {
    let mut documented = String::with_capacity(path.len());
    let mut pattern = false;
    for c in path.chars() {
        match c {
            ':' if !pattern && documented.rfind('{') > documented.rfind('}') => pattern = true,
            '}' => {
                pattern = false;
                documented.push(c);
            }
            _ if pattern => {}
            _ => documented.push(c),
        }
    }
    documented
}

/// Each route's resource, its requirement wrapped around it (the 405 of
/// another method included: a path asked without its token learns nothing).
pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    for spec in route_table() {
        let (allow, access) = (spec.method, spec.access);
        let mut resource = web::resource(spec.path.as_str()).route((spec.handler)());
        if spec.large_bodies {
            resource = resource.app_data(rendering::design_json_config());
        }
        let check = from_fn(move |request: ServiceRequest, next: Next<BoxBody>| auth::authorize(access, request, next));
        let other_method = web::to(move || async move { errors::method_not_allowed(allow) });
        cfg.service(resource.default_service(other_method).wrap(check));
    }
}

#[cfg(test)]
mod tests {
    use super::documented;

    #[test]
    fn a_pattern_of_a_parameter_is_left_out_of_its_documented_path() {
        assert_eq!(documented("/{didPath:.+}/did.json"), "/{didPath}/did.json");
        assert_eq!(documented("/certificate/{userId}/{courseId}"), "/certificate/{userId}/{courseId}");
        assert_eq!(documented("/health/live"), "/health/live");
    }
}
