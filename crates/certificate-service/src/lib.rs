//! certificate-service: issues course-completion certificates over HTTP and
//! tells the platform through Kafka. This crate only reads configuration,
//! builds the adapters and hands them to the domain (docs/architecture.md). The binary (main.rs) parses the command line and
//! runs an [`Application`] until a signal; the system tests build the same
//! `Application` in their own process.

mod app;
mod commands;
pub mod config;
pub mod logs;
mod publishers;
mod roles;
mod stores;

pub use app::Application;
pub use commands::{run, run_keys, shutdown_signal};
pub use config::Config;
