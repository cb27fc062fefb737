//! In-memory adapters, of two kinds that the paths keep apart:
//! - [`embedded`]: what the embedded default (`make run` with nothing
//!   configured) runs on in production: the store, which keeps the same rules
//!   as Postgres (the repository, outbox and revocation queue contracts of
//!   `certificate_domain::contract`) but nothing past the process, and the
//!   publishers that need no broker (the log, Kafka disabled), and the
//!   template store;
//! - [`doubles`]: test doubles only: a fake of the Sunbird RC services, a
//!   recording publisher and observer, a fixed clock, example links. Unit tests use them
//!   to drive the domain; no production wiring does.

mod clock;
mod issuer;
mod links;
mod observer;
mod publisher;
mod recording_publisher;
mod rendering;
mod store;
mod templates;

/// The embedded default's production adapters.
pub mod embedded {
    pub use crate::publisher::{DisabledPublisher, LoggingPublisher};
    pub use crate::store::{InMemoryStore, StoredCertificate};
    pub use crate::templates::InMemoryTemplates;
}

/// Test doubles, for unit and contract tests.
pub mod doubles {
    pub use crate::clock::FixedClock;
    pub use crate::issuer::FakeCredentialIssuer;
    pub use crate::links::ExampleLinks;
    pub use crate::observer::RecordingObserver;
    pub use crate::recording_publisher::RecordingPublisher;
    pub use crate::rendering::{FakePrinter, PlainRenderer};
}
