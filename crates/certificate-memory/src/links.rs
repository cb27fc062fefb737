use certificate_domain::ports::PublicLinks;
use certificate_domain::StatusListId;

/// Links under a base URL in a shape of their own, not the HTTP adapter's
/// routes: a test that sees them in a credential or a page knows they came
/// from the links it was given.
pub struct ExampleLinks(pub &'static str);

impl PublicLinks for ExampleLinks {
    fn verification(&self, certificate_id: &str) -> String {
        format!("{}/verification/{certificate_id}", self.0)
    }

    fn status_list(&self, list: StatusListId) -> String {
        format!("{}/lists/{list}", self.0)
    }

    fn achievement(&self, course_id: &str) -> String {
        format!("{}/courses/{course_id}", self.0)
    }
}
