//! The log format: JSON lines for production (the request's span once per
//! line, not again in a span list), readable text for `make run`. One place,
//! so that the tests that read the service's log read what production writes.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the process's subscriber; fails when one is installed already.
pub fn install<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Text => builder.try_init(),
    }
}

/// `RUST_LOG`, or `info`: the default production runs with.
pub fn filter_from_env() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}
