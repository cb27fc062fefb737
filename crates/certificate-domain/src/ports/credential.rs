//! What the credential service is asked for: [`CredentialRequest`], and the
//! tag an issuance's credentials carry there.

use uuid::Uuid;

use crate::model::{IssueRequest, StatusSlot};

/// What the credential service needs to issue the learner's credential.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialRequest<'a> {
    pub learner_did: &'a str,
    pub request: &'a IssueRequest,
    /// The text shown on the certificate: the request's `issuedOn`, or the month of issue ("November 2026").
    pub issued_on: String,
    /// Sent along as the tag `issuance:<id>`, so that a credential whose
    /// answer was lost can be found again.
    pub issuance_id: Uuid,
    /// The credential's entry in the issuer's status lists, when it publishes them.
    pub status: Option<StatusSlot>,
}

/// The tag an issuance's credentials carry at the credential service.
pub fn issuance_tag(issuance_id: Uuid) -> String {
    format!("issuance:{issuance_id}")
}
