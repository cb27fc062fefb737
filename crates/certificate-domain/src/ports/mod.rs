//! The ports: what the domain needs from the outside world, the types each
//! carries that are not the model's, and the errors it understands from
//! each. Adapters implement them; the use case, the relay and
//! the adapters that drive the service (HTTP, the operator commands) only ever
//! see these traits.
//!
//! Every error keeps the adapter's own error as its `source`, as a [`Cause`],
//! and has the variants its callers branch on.

/// The error of a port on a store (Postgres, in memory): the store cannot be
/// reached or did not answer in time (worth trying again later), or it
/// refused the statement (a defect, not an outage). Each such port has an
/// enum of its own, so that a caller's match names the port it called.
macro_rules! store_error {
    ($(#[$doc:meta])* $name:ident, $store:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, thiserror::Error)]
        pub enum $name {
            /// The store cannot be reached or did not answer in time.
            #[error("{store} unavailable: {0}", store = $store)]
            Unavailable(#[source] super::Cause),
            /// The store refused the statement.
            #[error("{store} error: {0}", store = $store)]
            Failed(#[source] super::Cause),
        }
    };
}

mod admin;
mod bulk;
mod clock;
mod credential;
mod credential_revocation;
mod health;
mod identity;
mod issuance;
mod links;
mod observe;
mod outbox;
mod publisher;
mod randomness;
mod rendering;
mod repo;
mod revocation;
mod standing;
mod status_list;
mod status_list_signing;
mod templates;
mod upstream;
mod verification;
mod wallet;

use std::sync::Arc;

pub use admin::{AdminError, OutboxAdmin, OutboxStatus, Pruned, StoreUpkeep};
pub use bulk::{JobStore, JobStoreError};
pub use clock::{Clock, SystemClock};
pub use credential::{issuance_tag, CredentialRequest};
pub use credential_revocation::{CredentialRevocation, RevocationError};
pub use health::{NotReady, ReadinessCheck};
pub use identity::{GeneratedIdentity, LearnerIdentity};
pub use issuance::{CredentialIssuance, IssuedLookup};
pub use links::PublicLinks;
pub use observe::{GaugeError, GaugeSource, IssuanceOutcome, Observer};
pub use outbox::{DeliverBatch, Delivery, EventOutbox, FailedDelivery, OutboxError, PendingEvent, Selection};
pub use publisher::{CertificatePublisher, PublishError};
pub use randomness::{Randomness, SystemRandomness};
pub use rendering::{
    CertificateView, CredentialDesign, CredentialRendering, HtmlRenderer, PdfPrinter, PrintError, SchemaServiceAnswer,
    TemplateError,
};
pub use repo::{
    Acquired, CertificateRepo, Claim, ClaimRequest, ClaimToken, IdempotencyKey, IssuedCertificate, RecordedCertificate,
    RepoError,
};
pub use revocation::{PendingRevocation, RevocationQueue, RevocationQueueError};
pub use standing::{CertificateStandings, StandingChange, StandingError};
pub use status_list::{ReservedRange, StatusListError, StatusListStore, StoredBits};
pub use status_list_signing::StatusListSigning;
pub use templates::{StoredSchema, StoredTemplate, TemplateStore, TemplateStoreError, SCHEMA_VERSION, TEMPLATE_KIND};
pub use upstream::{Refusal, Upstream, UpstreamError};
pub use verification::CredentialVerification;
pub use wallet::{
    CannotBind, CopySigning, HolderProof, HolderProofs, PresentationProofs, PresentedHolder, ProofRefused, WalletStore,
    WalletStoreError,
};

/// An adapter's own error, kept as the `source` of a port's error. Shared, so
/// that the port errors stay `Clone` (a failed publish is recorded for every
/// event of its batch).
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// Wraps an adapter's error as a [`Cause`].
pub fn cause(error: impl std::error::Error + Send + Sync + 'static) -> Cause {
    Arc::new(error)
}

/// A [`Cause`] from a message, for adapters whose library reports failures as text.
pub fn cause_from(message: impl Into<String>) -> Cause {
    Arc::new(std::io::Error::other(message.into()))
}
