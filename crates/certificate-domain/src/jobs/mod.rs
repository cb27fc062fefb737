//! The background jobs: the work the service does besides answering, and
//! the scheduler that runs it. The outbox relay (fed by the issue use case's
//! hand-off), the revocations a re-issue queued, the retention of what the outbox
//! no longer needs, the store's upkeep, and the bulk jobs' rows, started and
//! stopped together by [`Background`].

pub(crate) mod background;
mod bulk;
mod relay;
mod retention;
mod revocation;

pub use background::Background;
pub use bulk::{BulkRunner, MAX_ATTEMPTS, ROWS_PER_SLOT};
pub use relay::{hand_off_for, OutboxRelay, RelayPolicy, RelayReport};
pub use retention::Retention;
pub use revocation::RevocationDelivery;
