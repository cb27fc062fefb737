//! In-memory adapters: the store, a fake of the upstream services, the
//! publishers that need no broker, and test doubles of the publisher, the
//! observer and the clock. Unit tests use them to drive the domain; the
//! embedded default (`make run` with nothing configured) runs on them. The store keeps the
//! same rules as Postgres (the repository and outbox contracts of
//! `certificate_domain::contract`), but nothing survives the process.

mod issuer;
mod observer;
mod publisher;
mod store;

pub use issuer::FakeCredentialIssuer;
pub use observer::RecordingObserver;
pub use publisher::{DisabledPublisher, LoggingPublisher, RecordingPublisher};
pub use store::{InMemoryStore, StoredCertificate};

use certificate_domain::ports::Clock;
use chrono::{DateTime, Utc};

/// A clock that always says the same time.
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
