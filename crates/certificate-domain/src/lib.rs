//! The certificate domain: what it means to issue a course-completion
//! certificate, independent of HTTP, databases, brokers and upstream APIs.
//!
//! The crate promises:
//! - a request that reaches the use case is valid ([`IssueRequest`] can only be
//!   built through [`IssueRequest::parse`]);
//! - [`IssueCertificate`] issues at most one credential per learner and course
//!   (unless asked to re-issue), and records the certificate together with its
//!   event, or nothing at all;
//! - [`OutboxRelay`] delivers every recorded event at least once, in order per
//!   certificate (learner and course), through whatever
//!   [`CertificatePublisher`] it is given: right after the commit when the
//!   issuance hands the event over ([`HandOff`]), from the outbox otherwise;
//! - [`Retention`] deletes what the outbox no longer needs, and nothing else;
//! - [`Revocations`] revokes every credential a re-issue superseded, at least once;
//! - [`RenderCertificate`] shows a certificate as HTML and PDF through a
//!   template, and [`ManageTemplates`] keeps the templates;
//! - [`StatusAllocator`] gives each credential of the built-in issuer its
//!   own entry in a status list, and [`PublishStatusLists`] answers the
//!   lists, signed.
//!
//! It performs no I/O of its own: every effect goes through a port in
//! [`ports`], the only traits adapters implement. Its one tie to a runtime is
//! tokio's channels and timers, which the relay and the retention wait on.
//!
//! [`CertificatePublisher`]: ports::CertificatePublisher

mod background;
#[cfg(feature = "contract-tests")]
pub mod contract;
mod event;
mod hand_off;
mod issue;
pub mod ports;
mod read;
mod relay;
mod render;
mod request;
mod retention;
mod revocation;
mod standing;
mod status_list;

pub use background::Background;
pub use event::{CertificateEvent, UnnamedCredential, EVENT_TYPE, STATUS_VIEW_CERTIFICATE};
pub use hand_off::{hand_off, hand_off_for, HandOff, HandedEvents};
pub use issue::{IssuanceRoles, IssueCertificate, IssueCommand, IssueError, IssueOutcome};
pub use read::{ReadCertificate, ReadError, VerifyError};
pub use relay::{OutboxRelay, RelayPolicy, RelayReport};
pub use render::{
    schema_answer, template_answer, DesignError, HtmlSource, LocalRendering, ManageTemplates, RenderCertificate,
    RenderError, Rendered, TemplateKeeper, ID_PLACEHOLDER,
};
pub use request::{
    check_id, check_reason, parse_iso8601, FieldError, IssueRequest, RequestFields, SentDate, ValidationErrors,
};
pub use retention::Retention;
pub use revocation::Revocations;
pub use standing::{
    status_slot, ChangeError, ChangeStanding, StandingCommand, StatusListRevocation, SUPERSEDED_REASON,
};
pub use status_list::{
    bitstring, permuted_index, status_list_url, PublishStatusLists, StatusAllocator, StatusListDocument, StatusSlot,
};
