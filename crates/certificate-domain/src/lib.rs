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
//! - [`RevocationDelivery`] revokes every credential a re-issue superseded, at least once;
//! - [`RenderCertificate`] shows a certificate as HTML and PDF through a
//!   template, and [`ManageTemplates`] keeps the templates;
//! - [`StatusAllocator`] gives each credential of the built-in issuer its
//!   own entry in a status list, and [`PublishStatusLists`] answers the
//!   lists, signed;
//! - [`DeliverToWallet`] hands a certificate to the learner's wallet bound to
//!   the wallet's own key, once per offer, each copy recorded with its event;
//! - [`BulkIssuance`] takes a cohort as one durable job, and [`BulkRunner`]
//!   issues each of its rows through [`IssueCertificate`], once.
//!
//! Its shape: [`model`] (what a certificate is made of), [`ports`] (the
//! traits adapters implement, and the types they carry), [`use_cases`] (what
//! a caller can ask for), [`jobs`] (the background work and its scheduler),
//! and `contract` (one suite per port, run against every adapter of it).
//! The arrows point one way: the model imports nothing of the others,
//! ports import the model, use cases both, jobs all three (the bulk runner
//! issues through the issue use case; the relay reads the issue use case's
//! hand-off), the contract suites the model and the ports
//! (`tests/arrows.rs` fails on an arrow the other way).
//!
//! It performs no I/O of its own: every effect goes through a port in
//! [`ports`], the only traits adapters implement. Its one tie to a runtime is
//! tokio's channels and timers, which the relay and the retention wait on.
//!
//! [`CertificatePublisher`]: ports::CertificatePublisher
//! [`DeliverToWallet`]: use_cases::DeliverToWallet
//! [`BulkIssuance`]: use_cases::BulkIssuance

#[cfg(feature = "contract-tests")]
pub mod contract;
pub mod jobs;
pub mod model;
pub mod ports;
pub mod use_cases;

pub use jobs::{
    hand_off_for, Background, BulkRunner, OutboxRelay, RelayPolicy, RelayReport, Retention, RevocationDelivery,
    ROWS_PER_SLOT,
};
pub use model::{
    bitstring, check_id, check_reason, parse_iso8601, permuted_index, status_slot, CertificateEvent, Checks,
    CredentialError, FieldError, Fields, IssueRequest, IssuedCredential, NoLearnerOrCourse, NotAListId,
    RecordedCredential, RequestFields, SentDate, Standing, StandingRecord, StatusEntry, StatusListDocument,
    StatusListId, StatusPurpose, StatusSlot, Subject, ValidationErrors, Verdict, VerdictStatus, EVENT_TYPE,
    STATUS_LIST_SIZE, STATUS_VIEW_CERTIFICATE,
};
pub use use_cases::{
    escape_html, hand_off, ChangeError, ChangeStanding, DesignError, Designed, Examined, HandOff, HandedEvents,
    IssuanceRoles, IssueCertificate, IssueCommand, IssueError, IssueOutcome, LocalRendering, ManageTemplates,
    PublishStatusLists, ReadCertificate, ReadError, RenderCertificate, RenderError, RenderSources, Rendered,
    StandingCommand, StatusAllocator, TemplateRegistry, VerifyError, ID_PLACEHOLDER, SUPERSEDED_REASON,
};
