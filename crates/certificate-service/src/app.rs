//! The service as a value: [`Application::build`] builds every adapter the
//! configuration names and binds the HTTP port; `run_until_stopped` serves
//! until told to stop, and shuts the service down in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;

use anyhow::{Context, Result};
use certificate_chromium::{ChromiumPrinter, PrinterMetrics};
use certificate_domain::ports::{JobStore, PublicLinks, SystemClock, SystemRandomness};
use certificate_domain::use_cases::{BulkIssuance, DeliverToWallet, WalletRoles, WalletSettings};
use certificate_domain::{
    hand_off_for, Background, BulkRunner, ChangeStanding, IssueCertificate, OutboxRelay, ReadCertificate, Retention,
    RevocationDelivery, ROWS_PER_SLOT,
};
use certificate_http::{AppState, HttpMetrics, PublicRoutes, Scrape, Scraped, VerifyPage, WalletDelivery};
use certificate_metrics::{MeteredPublisher, Metrics, CONTENT_TYPE};
use tokio::sync::watch;

use crate::config::{Config, Issuer};
use crate::publishers;
use crate::roles::{credential_roles, rendering, RenderSettings, StatusSettings, WalletSigning};
use crate::stores::{stores, Stores};

/// How often a replica looks for bulk rows when it found none.
const BULK_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The service built and bound to its port, not yet serving: main runs it
/// until a signal; tests build it on port 0, read the port and stop it when
/// they like (tests/src/app.rs).
pub struct Application {
    server: Server,
    address: SocketAddr,
    background: Background,
    shutdown_grace: Duration,
}

impl Application {
    /// Builds every adapter the configuration names, applies the migrations
    /// and binds the HTTP port.
    pub async fn build(config: Config) -> Result<Self> {
        announce(&config);
        let mut stores = stores(&config).await?;
        let (publisher, broker) = publishers::build(&config.publisher, config.embedded()).await?;
        let (metrics, http_metrics, printer_metrics) = registered_metrics(&mut stores);
        let clock = Arc::new(SystemClock);
        let listener = certificate_http::bind(&config.http)
            .with_context(|| format!("cannot serve on port {}", config.http.port))?;
        let public_base_url = match &config.public_base_url {
            Some(url) => url.clone(),
            None => format!("http://localhost:{}", listener.local_addr().context("the bound port")?.port()),
        };
        let links: Arc<dyn PublicLinks> = Arc::new(PublicRoutes::new(&public_base_url));
        let status = StatusSettings {
            store: &stores.status_lists,
            repo: &stores.repo,
            standings: &stores.standings,
            links: links.clone(),
            ttl: config.status_list_ttl,
        };
        let roles = credential_roles(&config, &metrics, status);
        let printer = ChromiumPrinter::new(config.chromium.clone(), printer_metrics)
            .context("cannot start the PDF printer's runtime")?;
        let (render, templates) = rendering(
            roles.rendering.clone(),
            stores.repo.clone(),
            stores.templates.clone(),
            RenderSettings { printer: Arc::new(printer), links: links.clone(), cache_bytes: config.render_cache_bytes },
            clock.clone(),
        );
        let identity = roles.issuance.identity.clone();
        let wallet =
            roles.wallet.map(|signing| wallet_delivery(signing, &stores, &config, &public_base_url, &metrics, &clock));
        let revocations =
            RevocationDelivery::new(stores.revocations, roles.revocation, clock.clone(), config.relay.clone());
        let (hand_off, handed) = hand_off_for(&config.relay, config.relay_handoff);
        let read = Arc::new(ReadCertificate::new(stores.repo.clone(), roles.verification, stores.standings.clone()));
        let remote_issuer = matches!(config.issuer, Issuer::Rc(_));
        let standings = Arc::new(
            ChangeStanding::new(
                stores.repo.clone(),
                stores.standings,
                clock.clone(),
                Arc::new(SystemRandomness),
                metrics.clone(),
                remote_issuer,
            )
            .with_status_lists(roles.status_lists.clone()),
        );
        let did_document = roles.did_document;
        let status_lists = roles.status_lists;
        let issue = IssueCertificate::new(stores.repo, roles.issuance, clock.clone(), metrics.clone())
            .with_claim_lease(config.claim_lease)
            .with_issue_call_bound(config.issue_call_bound())
            .with_hand_off(hand_off)
            .with_revoke_on_reissue(config.revoke_on_reissue);
        let issue = Arc::new(issue);
        let (bulk, bulk_runner) = bulk_jobs(&stores.jobs, &issue, &config, &metrics, &clock);
        let publisher = Arc::new(MeteredPublisher::new(publisher, metrics.clone()));
        let background = Background {
            relay: OutboxRelay::new(stores.outbox, publisher, clock.clone(), config.relay.clone())
                .with_handed_events(handed),
            revocations,
            retention: stores.admin.map(|admin| {
                Retention::new(admin, clock, config.retention)
                    .with_wallet_store(stores.wallet.clone())
                    .with_job_store(stores.jobs.clone())
            }),
            upkeep: stores.upkeep,
            poll_interval: config.relay_poll_interval,
            bulk: bulk_runner,
        };
        let dependencies = stores.database.into_iter().chain(broker).collect();
        let scrape = scrape(metrics);
        let state = AppState {
            issue,
            read,
            render,
            templates,
            identity,
            dependencies,
            http_metrics,
            scrape,
            did_document,
            status_lists,
            standings,
            verify_page: VerifyPage {
                links: links.clone(),
                shows_name: config.http.page_shows_name,
                indexable: config.http.page_indexable,
            },
            wallet,
            bulk,
            bulk_body_bytes: config.http.bulk_body_bytes,
        };
        let (server, address) = certificate_http::serve(&config.http, listener, state, config.shutdown_grace)
            .with_context(|| format!("cannot serve on port {}", config.http.port))?;
        Ok(Self { server, address, background, shutdown_grace: config.shutdown_grace })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Serves until `stop` resolves (with the reason to log), then finishes
    /// the requests in flight and the background work within the grace.
    pub async fn run_until_stopped(self, stop: impl Future<Output = &'static str>) -> Result<()> {
        let Self { server, address, background, shutdown_grace } = self;
        let handle = server.handle();
        let (stop_background, stopped) = watch::channel(false);
        let background_task = actix_web::rt::spawn(async move { background.run(stopped, shutdown_grace).await });
        let mut server_task = actix_web::rt::spawn(server);
        tracing::info!("listening on http://{address}");

        tokio::select! {
            reason = stop => {
                let grace_seconds = shutdown_grace.as_secs();
                tracing::info!(signal = reason, grace_seconds, "shutting down: finishing requests in flight");
                handle.stop(true).await;
                let _ = (&mut server_task).await;
            }
            ended = &mut server_task => {
                ended.context("the HTTP server panicked")?.context("the HTTP server failed")?;
            }
        }
        let _ = stop_background.send(true);
        let _ = background_task.await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// What an operator should know of the configuration, said once at start.
fn announce(config: &Config) {
    if config.embedded() {
        tracing::info!(
            "running in embedded mode: in-memory store, the built-in issuer, events written to this log; \
             nothing survives a restart"
        );
    }
    if !config.embedded() && config.http.tokens.is_empty() {
        tracing::warn!("the API is unauthenticated: set API_TOKENS or API_TOKENS_FILE (docs/api.md, Authentication)");
    }
    if !config.http.tokens.is_empty() && config.http.admin_tokens.is_none() {
        tracing::warn!(
            "revoke, suspend and reinstate accept the API's tokens: set ADMIN_TOKENS to keep them to operators"
        );
    }
}

/// The one registry: the domain's metrics, HTTP's, the pool's (Postgres)
/// and the printer's.
fn registered_metrics(stores: &mut Stores) -> (Arc<Metrics>, Arc<HttpMetrics>, Arc<PrinterMetrics>) {
    let mut metrics = Metrics::new(stores.gauges.clone());
    let http_metrics = Arc::new(HttpMetrics::registered_in(metrics.registry()));
    if let Some(pool) = stores.pool_metrics.take() {
        metrics.registry().register_collector(Box::new(pool));
    }
    let printer_metrics = Arc::new(PrinterMetrics::registered_in(metrics.registry()));
    (Arc::new(metrics), http_metrics, printer_metrics)
}

/// Wallet delivery, with the built-in issuer's signing roles (Sunbird RC
/// binds no copy to a wallet's key).
fn wallet_delivery(
    signing: WalletSigning,
    stores: &Stores,
    config: &Config,
    public_base_url: &str,
    metrics: &Arc<Metrics>,
    clock: &Arc<SystemClock>,
) -> WalletDelivery {
    let roles = WalletRoles {
        repo: stores.repo.clone(),
        standings: stores.standings.clone(),
        store: stores.wallet.clone(),
        proofs: signing.proofs,
        presentations: signing.presentations,
        signing: signing.signing,
        clock: clock.clone(),
        ids: Arc::new(SystemRandomness),
        observer: metrics.clone(),
    };
    let settings = WalletSettings {
        credential_issuer: public_base_url.to_owned(),
        offer_lifetime: config.wallet_offer_ttl,
        transaction_code_attempts: config.wallet_tx_code_attempts,
    };
    let (configuration_id, configuration) = signing.configuration;
    WalletDelivery {
        deliver: Arc::new(DeliverToWallet::new(roles, settings)),
        configuration_id,
        configuration,
        issuer_name: signing.issuer_name,
    }
}

/// Bulk jobs: the use case that accepts them and the runner that issues
/// their rows through `issue`.
fn bulk_jobs(
    jobs: &Arc<dyn JobStore>,
    issue: &Arc<IssueCertificate>,
    config: &Config,
    metrics: &Arc<Metrics>,
    clock: &Arc<SystemClock>,
) -> (Arc<BulkIssuance>, BulkRunner) {
    let accept = BulkIssuance::new(
        jobs.clone(),
        clock.clone(),
        Arc::new(SystemRandomness),
        metrics.clone(),
        config.bulk_max_rows,
    );
    let runner = BulkRunner {
        store: jobs.clone(),
        issue: issue.clone(),
        clock: clock.clone(),
        observer: metrics.clone(),
        concurrency: config.bulk_concurrency,
        // A round issues ROWS_PER_SLOT rows a slot, each within its claim's lease.
        lease: config.claim_lease * (ROWS_PER_SLOT as u32 + 1),
        poll_interval: BULK_POLL_INTERVAL,
    };
    (Arc::new(accept), runner)
}

/// What `GET /metrics` answers: every registered metric, read now.
fn scrape(metrics: Arc<Metrics>) -> Scrape {
    Arc::new(move || {
        let metrics = metrics.clone();
        Box::pin(async move { Scraped { content_type: CONTENT_TYPE, body: metrics.report().await } })
    })
}
