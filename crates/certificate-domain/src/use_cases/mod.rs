//! The use cases, one a file: what a caller of the service (HTTP, the
//! command line) can ask for. Each takes its ports when it is built, and
//! answers with model types and an error enum of its own.

mod bulk;
mod hand_off;
mod issue;
mod publish_status_lists;
mod read;
mod render;
pub(crate) mod render_cache;
mod standing;
mod status_allocator;
mod templates;
mod wallet;

pub use bulk::{BulkError, BulkIssuance, RowError};
pub use hand_off::{hand_off, HandOff, HandedEvents};
pub use issue::{IssuanceRoles, IssueCertificate, IssueCommand, IssueError, IssueOutcome};
pub use publish_status_lists::PublishStatusLists;
pub use read::{Examined, ReadCertificate, ReadError, VerifyError};
pub use render::{escape_html, LocalRendering, RenderCertificate, RenderError, RenderSources, ID_PLACEHOLDER};
pub use render_cache::Rendered;
pub use standing::{ChangeError, ChangeStanding, StandingCommand, SUPERSEDED_REASON};
pub use status_allocator::StatusAllocator;
pub use templates::{DesignError, Designed, ManageTemplates, TemplateRegistry};
pub use wallet::{
    AccessToken, ClaimError, DeliverToWallet, ExchangeError, NewOffer, OfferError, PresentationRequest, TokenError,
    WalletRoles, WalletSettings, ACCESS_TOKEN_LIFETIME, NONCE_LIFETIME, TRANSACTION_CODE_DIGITS,
};
