//! certificate-service: issues course-completion certificates over HTTP and
//! tells the platform through Kafka. This crate only reads configuration,
//! builds the adapters and hands them to the domain; see README.md.

mod app;
mod config;
mod publishers;
mod telemetry;

use std::process::ExitCode;

use certificate_cli::Command;
use config::Config;

fn main() -> ExitCode {
    let command = match certificate_cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{}", certificate_cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
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
    telemetry::init(config.log_format);
    match actix_web::rt::System::new().block_on(app::run(command, config)) {
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
