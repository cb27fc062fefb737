//! The actix-web adapter. It promises:
//! - `POST /certificate/issue` and the NestJS service's `POST /v1/tracking/certificate/issue`,
//!   the read and verify routes, and the rest of the NestJS certificate
//!   module (render, render-PDF, template, schema, generateDid; [`rendering`]);
//! - every answer, good or bad, in the envelope of docs/contract.md
//!   (`success`, `statusCode`, `message`, and `data` or `errors`);
//! - one mapping of domain errors to HTTP statuses, in [`errors`];
//! - health endpoints whose readiness is whatever each `ReadinessCheck` says;
//! - `GET /metrics`, and a request id (`X-Request-Id`) on every request and its log lines;
//! - `GET /openapi.json`, the OpenAPI 3.1 description of all of it (see [`openapi`]).
//!
//! Handlers live by concern: [`certificates`] (issue, read, verify), [`bulk`]
//! (bulk jobs),
//! [`rendering`] (render, render-PDF, template, schema, generateDid),
//! [`standing`] (revoke, suspend, reinstate), [`published`] (the DID
//! document and the status lists), [`health`] (probes and metrics),
//! [`wallet`] (the wallet offer and OpenID4VCI's routes), [`openapi`];
//! [`table`] registers them all, each with who may call it.

mod answers;
mod auth;
mod bulk;
mod certificates;
mod envelope;
mod errors;
mod health;
mod links;
mod metrics;
mod observe;
mod openapi;
mod published;
mod rendering;
mod schemas;
mod standing;
mod table;
mod validators;
mod verify_page;
mod wallet;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use certificate_domain::ports::{LearnerIdentity, ReadinessCheck};
use certificate_domain::use_cases::BulkIssuance;
use certificate_domain::{
    ChangeStanding, IssueCertificate, ManageTemplates, PublishStatusLists, ReadCertificate, RenderCertificate,
};

pub use auth::{Access, ApiTokens, Tokens};

/// The NestJS service's prefix, under which every `/certificate` route is served too.
pub(crate) const LEGACY_PREFIX: &str = "/v1/tracking";
pub use errors::ApiError;
pub use links::PublicRoutes;
pub use metrics::{HttpMetrics, Scrape, Scraped};
pub use rendering::MAX_DESIGN_BODY_BYTES;
pub use table::{served_routes, ServedRoute};
pub use verify_page::VerifyPage;
pub use wallet::WalletDelivery;

/// The largest request body accepted; a certificate request is far smaller.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the handlers need, shared by every worker.
#[derive(Clone)]
pub struct AppState {
    pub issue: Arc<IssueCertificate>,
    pub read: Arc<ReadCertificate>,
    pub render: Arc<RenderCertificate>,
    pub templates: Arc<ManageTemplates>,
    /// The identity role of the issuance, for `generateDid`.
    pub identity: Arc<dyn LearnerIdentity>,
    /// What `/health/ready` checks, all at once.
    pub dependencies: Vec<Arc<dyn ReadinessCheck>>,
    pub http_metrics: Arc<HttpMetrics>,
    pub scrape: Scrape,
    /// The issuer's DID document, served at `/.well-known/did.json` when the
    /// issuer is this service.
    pub did_document: Option<serde_json::Value>,
    /// The issuer's status lists, served at `/status/{listId}` when the
    /// issuer is this service.
    pub status_lists: Option<Arc<PublishStatusLists>>,
    /// Revoke, suspend, reinstate.
    pub standings: Arc<ChangeStanding>,
    /// The verify route's page for people.
    pub verify_page: VerifyPage,
    /// Offers to learners' wallets and OpenID4VCI, when the issuer is this service.
    pub wallet: Option<WalletDelivery>,
    /// Bulk jobs.
    pub bulk: Arc<BulkIssuance>,
    /// The largest bulk body (`BULK_MAX_MIB`).
    pub bulk_body_bytes: usize,
}

/// `Cache-Control: no-store` (a credential must not sit in a shared cache)
/// and `X-Content-Type-Options: nosniff` on every answer.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Cache-Control", "no-store"))
        .add(("X-Content-Type-Options", "nosniff"))
}

/// Registers every route on an actix `App`, each behind the tokens its
/// access level takes (`Tokens::default()`: every route open); tests use it
/// with `actix_web::test`.
pub fn configure(state: AppState, tokens: Tokens) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .app_data(web::Data::new(tokens))
            .app_data(certificates::json_config())
            .configure(table::register)
            .default_service(web::to(errors::not_found));
    }
}

/// `PORT`, `HTTP_WORKERS`, the verify page's `VERIFY_PAGE_SHOWS_NAME` and
/// `VERIFY_PAGE_INDEXABLE`, `BULK_MAX_MIB`, and the bearer tokens: the API's `API_TOKENS`
/// (comma-separated) and `API_TOKENS_FILE` (one per line, for a mounted
/// Secret), the operator routes' `ADMIN_TOKENS` and `ADMIN_TOKENS_FILE`,
/// as envy reads them. Unset: that set is not configured; set to no token
/// at all: a misconfiguration, refused.
#[derive(serde::Deserialize)]
struct Env {
    #[serde(default = "default_port")]
    port: u16,
    #[serde(default = "default_workers")]
    http_workers: usize,
    api_tokens: Option<String>,
    api_tokens_file: Option<std::path::PathBuf>,
    admin_tokens: Option<String>,
    admin_tokens_file: Option<std::path::PathBuf>,
    #[serde(default = "shown")]
    verify_page_shows_name: bool,
    #[serde(default)]
    verify_page_indexable: bool,
    #[serde(default = "default_bulk_mib")]
    bulk_max_mib: usize,
}

fn default_bulk_mib() -> usize {
    32
}

fn shown() -> bool {
    true
}

#[derive(Clone)]
pub struct HttpConfig {
    /// 0 binds any free port (the tests do).
    pub port: u16,
    pub workers: usize,
    /// Read once, at start; empty: the API is open (no variable set).
    pub tokens: ApiTokens,
    /// The operator routes' (revoke, suspend, reinstate); `None`: the API's.
    pub admin_tokens: Option<ApiTokens>,
    /// `VERIFY_PAGE_SHOWS_NAME`, `VERIFY_PAGE_INDEXABLE`: the verify page's
    /// privacy ([`VerifyPage`]).
    pub page_shows_name: bool,
    pub page_indexable: bool,
    /// `BULK_MAX_MIB`: the largest bulk issue body, in bytes.
    pub bulk_body_bytes: usize,
}

fn default_port() -> u16 {
    3000
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl HttpConfig {
    /// A token file that cannot be read, or a token variable set to no
    /// token at all, is an error naming the variable: an empty Secret key
    /// must not open what it was meant to close.
    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Self, envy::Error> {
        let env: Env = envy::from_iter(vars)?;
        let api = TokenSource { name: "API_TOKENS", listed: env.api_tokens, file: env.api_tokens_file };
        let admin = TokenSource { name: "ADMIN_TOKENS", listed: env.admin_tokens, file: env.admin_tokens_file };
        let tokens = api.read()?.unwrap_or_default();
        Ok(Self {
            port: env.port,
            workers: env.http_workers,
            tokens,
            admin_tokens: admin.read()?,
            page_shows_name: env.verify_page_shows_name,
            page_indexable: env.verify_page_indexable,
            bulk_body_bytes: env.bulk_max_mib.max(1) * 1024 * 1024,
        })
    }

    /// The tokens of each access level, as the routes check them.
    pub fn access_tokens(&self) -> Tokens {
        Tokens::new(self.tokens.clone(), self.admin_tokens.clone())
    }
}

/// One set of tokens: `<NAME>` (comma-separated) and `<NAME>_FILE` (one a line).
struct TokenSource {
    name: &'static str,
    listed: Option<String>,
    file: Option<std::path::PathBuf>,
}

impl TokenSource {
    /// `None`: neither variable is set.
    fn read(self) -> Result<Option<ApiTokens>, envy::Error> {
        let Self { name, listed, file } = self;
        if listed.is_none() && file.is_none() {
            return Ok(None);
        }
        let from_file = match &file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| envy::Error::Custom(format!("{name}_FILE {}: {e}", path.display())))?,
            None => String::new(),
        };
        let given = listed.as_deref().unwrap_or("").split(',').chain(from_file.lines());
        let tokens = ApiTokens::new(given.map(|token| token.trim().to_owned()));
        if tokens.is_empty() {
            let set = match (listed.is_some(), &file) {
                (true, Some(_)) => format!("{name} and {name}_FILE"),
                (false, Some(path)) => format!("{name}_FILE {}", path.display()),
                (_, None) => name.to_owned(),
            };
            return Err(envy::Error::Custom(format!("{set}: no token given; set at least one, or unset it")));
        }
        Ok(Some(tokens))
    }
}

impl std::fmt::Debug for HttpConfig {
    /// Never the tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig").field("port", &self.port).field("workers", &self.workers).finish_non_exhaustive()
    }
}

/// Binds the configured port on every interface (0: any free port).
pub fn bind(config: &HttpConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind(("0.0.0.0", config.port))
}

/// Starts serving on `listener`; returns the server and the address it
/// listens on. On a graceful stop, requests in flight get `grace` to finish.
pub fn serve(
    config: &HttpConfig,
    listener: TcpListener,
    state: AppState,
    grace: Duration,
) -> std::io::Result<(Server, SocketAddr)> {
    let tokens = config.access_tokens();
    let address = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(security_headers())
            .wrap(actix_web::middleware::from_fn(observe::observe))
            .configure(configure(state.clone(), tokens.clone()))
    })
    .workers(config.workers)
    .shutdown_timeout(grace.as_secs())
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((server, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_port_is_the_default_and_a_bad_one_is_named() {
        assert_eq!(HttpConfig::from_vars(std::iter::empty()).unwrap().port, 3000);
        let error = HttpConfig::from_vars([("PORT".to_owned(), "http".to_owned())].into_iter()).unwrap_err();
        assert!(error.to_string().contains("PORT"), "{error}");
    }
}
