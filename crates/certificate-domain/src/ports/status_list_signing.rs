//! `StatusListSigning` (a credential role): the issuer's signature on its
//! status lists. Only the built-in issuer plays it (Sunbird RC publishes no
//! list).

use crate::model::StatusListDocument;

pub trait StatusListSigning: Send + Sync + 'static {
    /// The `BitstringStatusListCredential` of `document`, signed with the
    /// issuer's key, as JSON text. The same document gives the same text.
    fn sign_list(&self, document: &StatusListDocument<'_>) -> String;
}
