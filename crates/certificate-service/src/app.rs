//! Wiring: builds the adapters the configuration asks for, hands them to the
//! use case, the relay, the retention and the HTTP server, runs the operator
//! commands, and shuts the service down in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;

use anyhow::{Context, Result};
use certificate_chromium::{ChromiumPrinter, PrinterMetrics};
use certificate_credential_service::HttpCredentialIssuer;
use certificate_domain::ports::{
    CertificateRepo, CertificateStandings, CredentialDesign, CredentialIssuance, CredentialRendering,
    CredentialRevocation, CredentialVerification, EventOutbox, GaugeSource, HtmlRenderer, IssuedLookup,
    LearnerIdentity, OutboxAdmin, PdfPrinter, ReadinessCheck, RevocationQueue, StatusListStore, StoreUpkeep,
    SystemClock, SystemRandomness, TemplateStore,
};
use certificate_domain::{
    hand_off_for, Background, ChangeStanding, IssuanceRoles, IssueCertificate, LocalRendering, ManageTemplates,
    OutboxRelay, PublishStatusLists, ReadCertificate, RenderCertificate, RenderSources, Retention, RevocationDelivery,
    StatusAllocator, TemplateRegistry,
};
use certificate_handlebars::HandlebarsRenderer;
use certificate_http::{AppState, HttpMetrics, Scrape, Scraped};
use certificate_local_issuer::{IssuerKey, LocalIssuer, StatusListRevocation, UrnLearnerIdentity};
use certificate_memory::embedded::{InMemoryStore, InMemoryTemplates};
use certificate_metrics::{MeteredIssuer, MeteredPublisher, Metrics, CONTENT_TYPE};
use certificate_postgres::{run_migrations, PgConfig, PgStore, PoolMetrics};
use tokio::sync::watch;

use crate::config::{Config, Issuer};
use crate::publishers;
use certificate_cli::Command;

/// Runs a command of the binary: serving until a signal, or an operator command.
pub async fn run(command: Command, config: Config) -> Result<()> {
    let outbox = match command {
        Command::Serve => return Application::build(config).await?.run_until_stopped(shutdown_signal()).await,
        Command::Migrate => None,
        Command::Outbox(outbox) => Some(outbox),
    };
    let database = config.database.as_ref().context("this command needs DATABASE_URL or the POSTGRES_* variables")?;
    let Some(outbox) = outbox else {
        return migrate(database).await;
    };
    let store = Arc::new(store(database)?);
    let retention = Retention::new(store.clone(), Arc::new(SystemClock), outbox.retention(config.retention));
    println!("{}", certificate_cli::run_outbox(&outbox, store.as_ref(), &retention).await?);
    Ok(())
}

fn store(config: &PgConfig) -> Result<PgStore> {
    PgStore::new(config.clone()).context("cannot build the database pool")
}

async fn migrate(config: &PgConfig) -> Result<()> {
    let applied = run_migrations(&config.url).await.context("cannot apply migrations")?;
    tracing::info!(?applied, "migrations applied");
    Ok(())
}

/// The store behind every storage port: Postgres, or memory in embedded mode.
struct Stores {
    repo: Arc<dyn CertificateRepo>,
    outbox: Arc<dyn EventOutbox>,
    gauges: Arc<dyn GaugeSource>,
    revocations: Arc<dyn RevocationQueue>,
    templates: Arc<dyn TemplateStore>,
    status_lists: Arc<dyn StatusListStore>,
    standings: Arc<dyn CertificateStandings>,
    /// Postgres only: the retention and readiness work on the database, and
    /// its pool has metrics.
    admin: Option<Arc<dyn OutboxAdmin>>,
    upkeep: Option<Arc<dyn StoreUpkeep>>,
    database: Option<Arc<dyn ReadinessCheck>>,
    pool_metrics: Option<PoolMetrics>,
}

impl Stores {
    fn of<S>(store: Arc<S>, templates: Arc<dyn TemplateStore>) -> Self
    where
        S: CertificateRepo + EventOutbox + GaugeSource + RevocationQueue + StatusListStore + CertificateStandings,
    {
        let (repo, outbox, gauges, revocations) = (store.clone(), store.clone(), store.clone(), store.clone());
        let (status_lists, standings) = (store.clone(), store);
        Self {
            repo,
            outbox,
            gauges,
            revocations,
            templates,
            status_lists,
            standings,
            admin: None,
            upkeep: None,
            database: None,
            pool_metrics: None,
        }
    }
}

async fn stores(config: &Config) -> Result<Stores> {
    let Some(database) = &config.database else {
        return Ok(Stores::of(Arc::new(InMemoryStore::new()), Arc::new(InMemoryTemplates::new())));
    };
    migrate(database).await?;
    let store = Arc::new(store(database)?);
    Ok(Stores {
        admin: Some(store.clone()),
        upkeep: Some(store.clone()),
        database: Some(store.clone()),
        pool_metrics: Some(store.pool_metrics()),
        ..Stores::of(store.clone(), store)
    })
}

/// Which adapter plays each credential role, each metered.
struct CredentialRoles {
    issuance: IssuanceRoles,
    revocation: Arc<dyn CredentialRevocation>,
    verification: Arc<dyn CredentialVerification>,
    /// Sunbird RC's renderer and template registry; `None`: the service's own.
    rendering: Option<(Arc<dyn CredentialRendering>, Arc<dyn CredentialDesign>)>,
    /// The built-in issuer's DID document; Sunbird RC's DIDs resolve there.
    did_document: Option<serde_json::Value>,
    /// The built-in issuer's status lists; Sunbird RC publishes none.
    status_lists: Option<Arc<PublishStatusLists>>,
}

/// Status list entries reserved at a time: one round trip to the store per
/// this many issuances, and at most this many entries lost per restart.
const STATUS_ENTRIES_PER_RESERVATION: u32 = 256;

/// What the built-in issuer needs to publish status lists and revoke
/// superseded credentials in them.
struct StatusSettings<'a> {
    store: &'a Arc<dyn StatusListStore>,
    repo: &'a Arc<dyn CertificateRepo>,
    standings: &'a Arc<dyn CertificateStandings>,
    public_base_url: &'a str,
    ttl: Duration,
}

fn metered<T: ?Sized>(role: Arc<T>, metrics: &Arc<Metrics>) -> Arc<MeteredIssuer<T>> {
    Arc::new(MeteredIssuer::new(role, metrics.clone()))
}

/// Sunbird RC plays every role; the built-in issuer signs and verifies,
/// names learners by their user id, revokes by recording and publishes the
/// status lists.
fn credential_roles(config: &Config, metrics: &Arc<Metrics>, status: StatusSettings<'_>) -> CredentialRoles {
    let (key, whose) = match &config.issuer {
        Issuer::Rc(upstream) => {
            let rc = Arc::new(HttpCredentialIssuer::new(upstream.clone()));
            let identity: Arc<dyn LearnerIdentity> = metered(rc.clone() as Arc<dyn LearnerIdentity>, metrics);
            let issuance: Arc<dyn CredentialIssuance> = metered(rc.clone() as Arc<dyn CredentialIssuance>, metrics);
            let lookup: Arc<dyn IssuedLookup> = metered(rc.clone() as Arc<dyn IssuedLookup>, metrics);
            return CredentialRoles {
                issuance: IssuanceRoles { identity, issuance, lookup: Some(lookup), status: None },
                revocation: metered(rc.clone() as Arc<dyn CredentialRevocation>, metrics),
                verification: metered(rc.clone() as Arc<dyn CredentialVerification>, metrics),
                rendering: Some((
                    metered(rc.clone() as Arc<dyn CredentialRendering>, metrics),
                    metered(rc as Arc<dyn CredentialDesign>, metrics),
                )),
                did_document: None,
                status_lists: None,
            };
        }
        Issuer::Local(Some(key)) => (key.clone(), "the key of ISSUER_KEY_FILE"),
        Issuer::Local(None) => (IssuerKey::generate(), "a key made at start, which a restart forgets"),
    };
    let local = Arc::new(LocalIssuer::new(key, status.public_base_url));
    tracing::info!(did = %local.did(), "issuing W3C credentials with the built-in issuer and {whose}");
    let identity: Arc<dyn LearnerIdentity> = metered(Arc::new(UrnLearnerIdentity) as Arc<dyn LearnerIdentity>, metrics);
    let issuance: Arc<dyn CredentialIssuance> = metered(local.clone() as Arc<dyn CredentialIssuance>, metrics);
    let allocator = Arc::new(StatusAllocator::new(status.store.clone(), STATUS_ENTRIES_PER_RESERVATION));
    let lists = Arc::new(PublishStatusLists::new(
        status.store.clone(),
        local.clone(),
        Arc::new(SystemClock),
        status.public_base_url.to_owned(),
        status.ttl,
    ));
    let revocation = StatusListRevocation {
        repo: status.repo.clone(),
        standings: status.standings.clone(),
        lists: Some(lists.clone()),
    };
    CredentialRoles {
        issuance: IssuanceRoles { identity, issuance, lookup: None, status: Some(allocator) },
        status_lists: Some(lists),
        revocation: metered(Arc::new(revocation) as Arc<dyn CredentialRevocation>, metrics),
        rendering: None,
        did_document: Some(local.did_document()),
        verification: metered(local as Arc<dyn CredentialVerification>, metrics),
    }
}

struct RenderSettings {
    printer: Arc<dyn PdfPrinter>,
    public_base_url: String,
    cache_bytes: usize,
}

/// Sunbird RC renders through and keeps the templates when it issues; the
/// built-in issuer's certificates are rendered here, through the templates
/// stored here; the built-in certificate is rendered here with either.
fn rendering(
    upstream: Option<(Arc<dyn CredentialRendering>, Arc<dyn CredentialDesign>)>,
    repo: Arc<dyn CertificateRepo>,
    store: Arc<dyn TemplateStore>,
    settings: RenderSettings,
    clock: Arc<SystemClock>,
) -> (Arc<RenderCertificate>, Arc<ManageTemplates>) {
    let renderer: Arc<dyn HtmlRenderer> = Arc::new(HandlebarsRenderer::new());
    let verify_base = settings.public_base_url;
    let local = LocalRendering { repo, templates: store.clone(), renderer: renderer.clone(), verify_base };
    let (source, keeper) = match upstream {
        Some((rc, design)) => (RenderSources { upstream: Some(rc), local }, TemplateRegistry::Upstream(design)),
        None => {
            let keeper = TemplateRegistry::Local { store, renderer, clock, ids: Arc::new(SystemRandomness) };
            (RenderSources { upstream: None, local }, keeper)
        }
    };
    let render = RenderCertificate::new(source, settings.printer, settings.cache_bytes);
    (Arc::new(render), Arc::new(ManageTemplates::new(keeper)))
}

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
        if config.embedded() {
            tracing::info!(
                "running in embedded mode: in-memory store, the built-in issuer, events written to this log; \
                 nothing survives a restart"
            );
        }
        if !config.embedded() && config.http.tokens.is_empty() {
            tracing::warn!("the API is unauthenticated: set API_TOKENS or API_TOKENS_FILE (README, Authentication)");
        }
        if !config.http.tokens.is_empty() && config.http.admin_tokens.is_none() {
            tracing::warn!(
                "revoke, suspend and reinstate accept the API's tokens: set ADMIN_TOKENS to keep them to operators"
            );
        }
        let stores = stores(&config).await?;
        let (publisher, broker) = publishers::build(&config.publisher, config.embedded()).await?;
        let mut metrics = Metrics::new(stores.gauges);
        let http_metrics = Arc::new(HttpMetrics::registered_in(metrics.registry()));
        if let Some(pool) = stores.pool_metrics {
            metrics.registry().register_collector(Box::new(pool));
        }
        let printer_metrics = Arc::new(PrinterMetrics::registered_in(metrics.registry()));
        let metrics = Arc::new(metrics);
        let clock = Arc::new(SystemClock);
        let listener = certificate_http::bind(&config.http)
            .with_context(|| format!("cannot serve on port {}", config.http.port))?;
        let public_base_url = match &config.public_base_url {
            Some(url) => url.clone(),
            None => format!("http://localhost:{}", listener.local_addr().context("the bound port")?.port()),
        };
        let status = StatusSettings {
            store: &stores.status_lists,
            repo: &stores.repo,
            standings: &stores.standings,
            public_base_url: &public_base_url,
            ttl: config.status_list_ttl,
        };
        let roles = credential_roles(&config, &metrics, status);
        let printer = ChromiumPrinter::new(config.chromium.clone(), printer_metrics)
            .context("cannot start the PDF printer's runtime")?;
        let (render, templates) = rendering(
            roles.rendering.clone(),
            stores.repo.clone(),
            stores.templates.clone(),
            RenderSettings { printer: Arc::new(printer), public_base_url, cache_bytes: config.render_cache_bytes },
            clock.clone(),
        );
        let identity = roles.issuance.identity.clone();
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
        let publisher = Arc::new(MeteredPublisher::new(publisher, metrics.clone()));
        let background = Background {
            relay: OutboxRelay::new(stores.outbox, publisher, clock.clone(), config.relay.clone())
                .with_handed_events(handed),
            revocations,
            retention: stores.admin.map(|admin| Retention::new(admin, clock, config.retention)),
            upkeep: stores.upkeep,
            poll_interval: config.relay_poll_interval,
        };
        let dependencies = stores.database.into_iter().chain(broker).collect();
        let scrape: Scrape = Arc::new(move || {
            let metrics = metrics.clone();
            Box::pin(async move { Scraped { content_type: CONTENT_TYPE, body: metrics.report().await } })
        });
        let state = AppState {
            issue: Arc::new(issue),
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

/// SIGTERM (Kubernetes) or SIGINT (Ctrl-C), whichever comes first.
pub async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).expect("install the SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}
