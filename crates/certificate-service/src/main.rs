//! certificate-service: issues course-completion certificates over HTTP and
//! tells the platform through Kafka. This crate only reads configuration,
//! builds the adapters and hands them to the domain; see README.md.

mod app;
mod config;
mod publishers;

use std::process::ExitCode;

use certificate_cli::Command;
use config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

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
    init_logs(config.log_format);
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

/// JSON lines for production (the request's span once per line, not again
/// in a span list), readable text for `make run`.
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stdout);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
        LogFormat::Text => builder.init(),
    }
}
