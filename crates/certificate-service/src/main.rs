//! The binary: parses the command line and the environment, installs the
//! log, and runs the command (serving, or an operator command) on actix's
//! runtime.

use std::process::ExitCode;

use certificate_cli::{Command, Invocation};
use certificate_service::{logs, Config};

fn main() -> ExitCode {
    let command = match certificate_cli::parse(std::env::args().skip(1)) {
        Ok(Invocation::Help) => {
            println!("{}", certificate_cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Run(command)) => command,
        // The keyring's own commands: no configuration but its file.
        Ok(Invocation::Keys(keys, file)) => {
            return said(certificate_service::run_keys(&keys, file).map_err(|error| format!("keys: {error}")))
        }
        // A client of a running service: no configuration either.
        Ok(Invocation::Jobs(jobs)) => {
            return said(certificate_cli::run_jobs(&jobs).map_err(|error| format!("jobs: {error}")))
        }
        Err(error) => return refuse(format!("{error}\n\n{}", certificate_cli::USAGE)),
    };
    let config = Config::from_env().and_then(|config| match command {
        Command::Serve => config.check_servable().map(|()| config),
        _ => Ok(config),
    });
    let config = match config {
        Ok(config) => config,
        Err(error) => return refuse(format!("configuration error: {error}")),
    };
    logs::install(config.log_format, logs::filter_from_env(), std::io::stdout).expect("the first subscriber");
    match actix_web::rt::System::new().block_on(certificate_service::run(command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// What a command said, or its refusal (exit code 2).
fn said(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(said) => {
            println!("{said}");
            ExitCode::SUCCESS
        }
        Err(error) => refuse(error),
    }
}

/// A command line or configuration the binary cannot run with: exit code 2.
fn refuse(message: String) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(2)
}
