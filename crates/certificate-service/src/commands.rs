//! The binary's commands: serve until a signal, migrate, and the outbox
//! commands an operator runs against the database.

use std::sync::Arc;

use anyhow::{Context, Result};
use certificate_domain::ports::SystemClock;
use certificate_domain::Retention;

use certificate_cli::Command;

use crate::app::Application;
use crate::config::Config;
use crate::stores::{migrate, store};

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

/// SIGTERM (Kubernetes) or SIGINT (Ctrl-C), whichever comes first.
pub async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).expect("install the SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}
