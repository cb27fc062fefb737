//! Wiring: builds the adapters the configuration asks for, hands them to the
//! use case, the relay and the HTTP server, and shuts them down in order.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use certificate_domain::ports::{CertificateRepo, CredentialIssuer, EventOutbox, SystemClock};
use certificate_domain::{hand_off, IssueCertificate, OutboxRelay};
use certificate_fakes::{FakeCredentialIssuer, InMemoryStore};
use certificate_http::AppState;
use certificate_metrics::{GaugeSource, MeteredIssuer, MeteredPublisher, Metrics};
use certificate_postgres::{run_migrations, OutboxAdmin, PgConfig, PgStore};
use certificate_upstream::HttpCredentialIssuer;
use tokio::sync::watch;

use crate::cli::Command;
use crate::config::Config;
use crate::gauges::{MemoryGauges, PostgresGauges};
use crate::publishers;
use crate::readiness::Readiness;

pub async fn run(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(database(&config)?).await,
        Command::OutboxStatus => outbox_status(database(&config)?).await,
        Command::OutboxRetryDead => {
            let count = store(database(&config)?)?.retry_dead().await?;
            println!("{count} dead events are due again");
            Ok(())
        }
        Command::OutboxReplay { since, until } => {
            let horizon = retention_horizon(config.retention);
            if since < horizon {
                println!(
                    "warning: --since {since} is older than the retention (OUTBOX_RETENTION, {} days): events \
                     published before {horizon} may have been pruned and cannot be replayed",
                    config.retention.as_secs_f64() / 86_400.0
                );
            }
            let count = store(database(&config)?)?.replay(since, until).await?;
            println!("{count} events created in [{since}, {until}) will be published again");
            Ok(())
        }
        Command::OutboxPrune { older_than } => {
            let horizon = retention_horizon(older_than.unwrap_or(config.retention));
            let pruned = store(database(&config)?)?.prune(horizon).await?;
            println!(
                "pruned before {horizon}: {} published events, {} released claims, {} idempotency keys; dead events kept",
                pruned.events, pruned.claims, pruned.idempotency_keys
            );
            Ok(())
        }
        Command::Help => Ok(()),
    }
}

fn retention_horizon(retention: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX)
}

fn database(config: &Config) -> Result<&PgConfig> {
    config.database.as_ref().context("this command needs DATABASE_URL or the POSTGRES_* variables")
}

fn store(config: &PgConfig) -> Result<PgStore> {
    PgStore::new(config.clone()).context("cannot build the database pool")
}

async fn migrate(config: &PgConfig) -> Result<()> {
    let applied = run_migrations(&config.url).await.context("cannot apply migrations")?;
    tracing::info!(?applied, "migrations applied");
    Ok(())
}

async fn outbox_status(config: &PgConfig) -> Result<()> {
    let status = store(config)?.status().await?;
    println!("pending: {}", status.pending);
    println!("dead: {}", status.dead);
    match status.oldest_pending {
        Some(oldest) => {
            let age = (chrono::Utc::now() - oldest).num_milliseconds() as f64 / 1000.0;
            println!("oldest pending: {oldest} ({age:.1} s old)");
        }
        None => println!("oldest pending: none"),
    }
    Ok(())
}

/// The adapters behind the ports, and what shutdown and readiness need of them.
struct Adapters {
    repo: Arc<dyn CertificateRepo>,
    outbox: Arc<dyn EventOutbox>,
    issuer: Arc<dyn CredentialIssuer>,
    postgres: Option<PgStore>,
    gauges: Arc<dyn GaugeSource>,
}

async fn adapters(config: &Config) -> Result<Adapters> {
    let issuer: Arc<dyn CredentialIssuer> = match &config.upstream {
        Some(upstream) => Arc::new(HttpCredentialIssuer::new(upstream.clone())),
        None => Arc::new(FakeCredentialIssuer::new()),
    };
    let Some(database) = &config.database else {
        let memory = Arc::new(InMemoryStore::new());
        let gauges = Arc::new(MemoryGauges(memory.clone()));
        return Ok(Adapters { repo: memory.clone(), outbox: memory, issuer, postgres: None, gauges });
    };
    migrate(database).await?;
    let store = store(database)?;
    Ok(Adapters {
        repo: Arc::new(store.clone()),
        outbox: Arc::new(store.clone()),
        issuer,
        gauges: Arc::new(PostgresGauges(store.clone())),
        postgres: Some(store),
    })
}

async fn serve(config: Config) -> Result<()> {
    if config.embedded() {
        tracing::info!(
            "running in embedded mode: in-memory store, in-process fake of the identity and credential services, \
             events written to this log; nothing survives a restart"
        );
    }
    let adapters = adapters(&config).await?;
    let (publisher, broker) = publishers::build(&config.kafka, config.embedded()).await?;
    let metrics = Arc::new(Metrics::new());
    let issuer = Arc::new(MeteredIssuer::new(adapters.issuer, metrics.clone()));
    let publisher = Arc::new(MeteredPublisher::new(publisher, metrics.clone()));
    let clock = Arc::new(SystemClock);
    let (hand_off, handed) = hand_off(HAND_OFF_BATCHES * config.relay.batch_size, config.relay_handoff);
    let issue = IssueCertificate::new(adapters.repo, issuer, clock.clone())
        .with_claim_lease(config.claim_lease)
        .with_hand_off(hand_off);
    let relay =
        Arc::new(OutboxRelay::new(adapters.outbox, publisher, clock, config.relay.clone()).with_handed_events(handed));
    let prune_store = adapters.postgres.clone();
    let readiness = Readiness { postgres: adapters.postgres, broker: broker.clone() };
    let state = AppState { issue: Arc::new(issue), readiness: Arc::new(readiness), metrics, gauges: adapters.gauges };

    let listener =
        TcpListener::bind(("0.0.0.0", config.port)).with_context(|| format!("cannot bind port {}", config.port))?;
    let addr = listener.local_addr()?;
    let server = certificate_http::serve(listener, state, config.http_workers, config.shutdown_grace)?;
    let handle = server.handle();
    let (stop_relay, relay_stopped) = watch::channel(false);
    let mut relay_tasks = vec![actix_web::rt::spawn(handed_loop(relay.clone(), relay_stopped.clone()))];
    for _ in 0..POLLERS {
        relay_tasks.push(actix_web::rt::spawn(due_loop(
            relay.clone(),
            config.relay_poll_interval,
            relay_stopped.clone(),
        )));
    }
    let prune_task = prune_store.map(|store| actix_web::rt::spawn(prune_loop(store, config.retention, relay_stopped)));
    let mut server_task = actix_web::rt::spawn(server);
    tracing::info!("listening on http://{addr}");

    tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, grace_seconds = config.shutdown_grace.as_secs(), "shutting down: finishing requests in flight");
            handle.stop(true).await;
            let _ = (&mut server_task).await;
        }
        ended = &mut server_task => {
            ended.context("the HTTP server panicked")?.context("the HTTP server failed")?;
        }
    }
    let _ = stop_relay.send(true);
    for task in relay_tasks {
        let _ = task.await;
    }
    drain(&relay, config.shutdown_grace).await;
    if let Some(prune_task) = prune_task {
        let _ = prune_task.await;
    }
    if let Some(broker) = broker {
        broker.flush(config.shutdown_grace).await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).expect("install the SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

/// Handed-off events queued at most, in relay batches: beyond that the relay
/// is behind and the poller takes the overflow from the outbox.
const HAND_OFF_BATCHES: usize = 10;

/// Pollers of the outbox: on a backlog, one batch is at the broker while the
/// next is being locked and the previous one recorded (SKIP LOCKED keeps
/// their batches apart, the outbox keeps each certificate in order).
const POLLERS: usize = 2;

/// Publishes what issuances hand over, a batch at a time, until told to stop.
/// It stops only between batches, so that a batch that was sent is also marked.
async fn handed_loop(relay: Arc<OutboxRelay>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let events = tokio::select! {
            events = relay.next_handed() => events,
            _ = stop.changed() => break,
        };
        if events.is_empty() {
            break;
        }
        if let Err(error) = relay.relay_handed(&events).await {
            tracing::warn!(%error, "the outbox relay cannot reach the outbox; the poller will retry");
        }
    }
}

/// Polls the outbox for what the hand-off did not publish (failed deliveries
/// coming due, a crashed or busy replica's events) until told to stop.
async fn due_loop(relay: Arc<OutboxRelay>, poll_interval: Duration, mut stop: watch::Receiver<bool>) {
    let batch_size = relay.policy().batch_size;
    while !*stop.borrow() {
        let pause = match relay.relay_due().await {
            Ok(report) if report.handled() == batch_size => continue,
            Ok(_) => poll_interval,
            Err(error) => {
                tracing::warn!(%error, "the outbox relay cannot reach the outbox");
                poll_interval.max(Duration::from_secs(1))
            }
        };
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// Once stopped, publishes what the last requests recorded, then what is due
/// (within `grace`), rather than leave it to another replica.
async fn drain(relay: &OutboxRelay, grace: Duration) {
    if let Err(error) = relay.relay_queued().await {
        tracing::warn!(%error, "cannot publish the last handed-over events; the outbox keeps them");
    }
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        match relay.relay_due().await {
            Ok(report) if report.handled() > 0 => {}
            _ => break,
        }
    }
}

/// How often the service deletes what is past the retention.
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// Deletes published events, released claims and idempotency keys past the
/// retention, at start and then every `PRUNE_INTERVAL`, until told to stop.
async fn prune_loop(store: PgStore, retention: Duration, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match store.prune(retention_horizon(retention)).await {
            Ok(pruned) if pruned != Default::default() => tracing::info!(
                events = pruned.events,
                claims = pruned.claims,
                idempotency_keys = pruned.idempotency_keys,
                "pruned what is past the retention"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot prune the outbox"),
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(PRUNE_INTERVAL) => {}
        }
    }
}
