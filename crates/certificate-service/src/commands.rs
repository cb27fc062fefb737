//! The binary's commands: serve until a signal, migrate, the outbox
//! commands an operator runs against the database, and the keys commands
//! on the built-in issuer's keyring file.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use certificate_domain::ports::SystemClock;
use certificate_domain::Retention;

use certificate_cli::{Command, KeysCommand};
use certificate_local_issuer::{compromise_key, init_keyring, rotate_keyring, show_keyring};
use chrono::Utc;

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
    let retention = Retention::new(store.clone(), Arc::new(SystemClock), outbox.retention(config.retention))
        .with_wallet_store(store.clone())
        .with_job_store(store.clone());
    println!("{}", certificate_cli::run_outbox(&outbox, store.as_ref(), &retention).await?);
    Ok(())
}

/// Runs a keys command on the keyring at `file`, else at `ISSUER_KEYS_FILE`;
/// answers what to print.
pub fn run_keys(command: &KeysCommand, file: Option<PathBuf>) -> Result<String, String> {
    let file = file
        .or_else(|| std::env::var_os("ISSUER_KEYS_FILE").map(PathBuf::from))
        .ok_or("name the keyring: --file F, or ISSUER_KEYS_FILE")?;
    match command {
        KeysCommand::Init { from } => init_keyring(&file, from.as_deref()),
        KeysCommand::Rotate => rotate_keyring(&file, Utc::now()),
        KeysCommand::Compromise { key, since } => compromise_key(&file, key, *since),
        KeysCommand::Show => show_keyring(&file),
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
