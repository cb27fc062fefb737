//! In-memory implementations of every port. Unit tests use them to drive the
//! domain; the embedded default (`make run` with nothing configured) runs on
//! them. They keep the same rules as the real adapters (one claim per learner
//! and course, the outbox contract of `certificate_domain::contract`) but nothing survives
//! the process.

mod issuer;
mod publisher;
mod store;

pub use issuer::FakeCredentialIssuer;
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
