//! The model: what a certificate is made of, independent of every port.
//! The request and its rules, the credential an issuer answered, the
//! verdict on it, its standing, its status list entry, and the event that
//! tells the platform about it. Nothing here performs I/O or names a port;
//! the ports and the use cases are built on these types, never the
//! reverse.

mod bulk;
mod credential;
mod event;
mod fields;
mod request;
mod standing;
mod status_list;
mod verdict;
mod wallet;

pub use bulk::{FinishedRow, JobCounts, JobRow, JobSummary, NewRow, RowOutcome, TakenRow};
pub use credential::{CredentialError, IssuedCredential, RecordedCredential, StatusEntry, Subject};
pub use event::{CertificateEvent, NoLearnerOrCourse, EVENT_TYPE, STATUS_VIEW_CERTIFICATE};
pub use fields::{
    check_id, check_reason, FieldError, Fields, Limit, RequestFields, ValidationErrors, ID, NAME, REASON,
};
pub use request::{parse_iso8601, IssueRequest, SentDate};
pub use standing::{Standing, StandingRecord};
pub use status_list::{
    bitstring, permuted_index, status_slot, NotAListId, StatusListDocument, StatusListId, StatusPurpose, StatusSlot,
    STATUS_LIST_SIZE,
};
pub use verdict::{Checks, Verdict, VerdictStatus};
pub use wallet::{
    new_secret, new_transaction_code, SecretDigest, WalletCopy, WalletGrant, WalletOffer, WalletProtocol,
};
