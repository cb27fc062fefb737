use certificate_domain::ports::PublicLinks;
use certificate_domain::StatusListId;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Links under a base URL in a shape of their own, not the HTTP adapter's
/// routes: a test that sees them in a credential or a page knows they came
/// from the links it was given.
pub struct ExampleLinks(pub &'static str);

impl PublicLinks for ExampleLinks {
    fn verification(&self, certificate_id: &str) -> String {
        format!("{}/verification/{}", self.0, escaped(certificate_id))
    }

    fn status_list(&self, list: StatusListId) -> String {
        format!("{}/lists/{list}", self.0)
    }

    fn achievement(&self, course_id: &str) -> String {
        format!("{}/courses/{}", self.0, escaped(course_id))
    }
}

/// An id as one path segment: every character but letters, digits, `-`,
/// `.`, `_`, `~` and `:` escaped (so `urn:uuid:…` reads as it is).
fn escaped(id: &str) -> String {
    const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b':');
    utf8_percent_encode(id, ESCAPED).to_string()
}
