//! The public links of the routes this adapter serves: what a printed
//! certificate's QR code opens and where a credential's status lists are
//! fetched, under the service's public address (`PUBLIC_BASE_URL`); and the
//! ids of the achievements an Open Badge names, under the same address.

use certificate_domain::ports::PublicLinks;
use certificate_domain::StatusListId;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub struct PublicRoutes {
    base_url: String,
}

impl PublicRoutes {
    /// `base_url` with or without its trailing `/`.
    pub fn new(base_url: &str) -> Self {
        Self { base_url: base_url.trim_end_matches('/').to_owned() }
    }
}

impl PublicLinks for PublicRoutes {
    /// `GET /certificate/{certificateId}/verify`, the id one path segment.
    fn verification(&self, certificate_id: &str) -> String {
        format!("{}/certificate/{}/verify", self.base_url, segment(certificate_id, CERTIFICATE_ID))
    }

    /// `GET /status/{listId}`.
    fn status_list(&self, list: StatusListId) -> String {
        format!("{}/status/{list}", self.base_url)
    }

    /// `/achievements/{courseId}`, the course id one path segment.
    fn achievement(&self, course_id: &str) -> String {
        format!("{}/achievements/{}", self.base_url, segment(course_id, PATH_SEGMENT))
    }
}

/// What may stand unencoded in a path segment or a query value: all but
/// RFC 3986's unreserved characters are escaped.
pub(crate) const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A certificate id in a path: the unreserved characters and the `:` and
/// `@` a segment may hold stand as they are, so that `urn:uuid:…` and
/// `did:…` ids (the links printed on certificates so far) keep their shape;
/// anything that would end the segment (`/`, `?`, `#`, `%`, ...) is escaped.
const CERTIFICATE_ID: &AsciiSet = &PATH_SEGMENT.remove(b':').remove(b'@');

/// `text` escaped as one path segment; `.` and `..`, which a URL resolver
/// would take as "here" and "up", escaped too.
fn segment(text: &str, escaped: &'static AsciiSet) -> String {
    match text {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(text, escaped).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use certificate_domain::StatusPurpose;

    use super::*;

    #[test]
    fn the_routes_keep_the_links_contract() {
        certificate_domain::contract::check_public_links(
            &PublicRoutes::new("https://certificates.example/"),
            "https://certificates.example",
        );
    }

    #[test]
    fn links_name_the_served_routes_under_the_public_address() {
        let links = PublicRoutes::new("https://certificates.example/");
        let list = StatusListId { list: 1, purpose: StatusPurpose::Revocation };
        assert_eq!(links.status_list(list), "https://certificates.example/status/1-revocation");
        assert_eq!(links.verification("urn:uuid:7"), "https://certificates.example/certificate/urn:uuid:7/verify");
        assert_eq!(links.achievement("do_1 a/b?c"), "https://certificates.example/achievements/do_1%20a%2Fb%3Fc");
        assert_eq!(links.verification("a/b?c"), "https://certificates.example/certificate/a%2Fb%3Fc/verify");
        let served: Vec<_> = crate::served_routes().into_iter().map(|route| route.path).collect();
        for path in ["/status/{listId}", "/certificate/{certificateId}/verify"] {
            assert!(served.iter().any(|served| served == path), "{path} is served");
        }
    }
}
