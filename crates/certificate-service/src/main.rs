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
            return match certificate_service::run_keys(&keys, file) {
                Ok(said) => {
                    println!("{said}");
                    ExitCode::SUCCESS
                }
                Err(error) => refuse(format!("keys: {error}")),
            };
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

/// A command line or configuration the binary cannot run with: exit code 2.
fn refuse(message: String) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(2)
}
