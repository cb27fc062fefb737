//! `PublicLinks`: where anyone finds the documents this service publishes
//! (a certificate's verification, a status list, an achievement), as credentials and
//! printed certificates name them. The adapter that serves those documents
//! knows their addresses; the domain only asks for them.

use crate::model::StatusListId;

pub trait PublicLinks: Send + Sync + 'static {
    /// Where a certificate is verified: what its QR code opens.
    fn verification(&self, certificate_id: &str) -> String;

    /// Where a status list is fetched: a credential's `statusListCredential`,
    /// and the list credential's own `id`.
    fn status_list(&self, list: StatusListId) -> String;

    /// The stable id of the achievement completing a course is: an Open
    /// Badge's `achievement.id`.
    fn achievement(&self, course_id: &str) -> String;
}
