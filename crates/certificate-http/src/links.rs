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
    /// `GET /certificate/{certificateId}/verify`.
    fn verification(&self, certificate_id: &str) -> String {
        format!("{}/certificate/{certificate_id}/verify", self.base_url)
    }

    /// `GET /status/{listId}`.
    fn status_list(&self, list: StatusListId) -> String {
        format!("{}/status/{list}", self.base_url)
    }

    /// `/achievements/{courseId}`, the course id one path segment.
    fn achievement(&self, course_id: &str) -> String {
        format!("{}/achievements/{}", self.base_url, utf8_percent_encode(course_id, PATH_SEGMENT))
    }
}

/// What may stand unencoded in a path segment or a query value: all but
/// RFC 3986's unreserved characters are escaped.
pub(crate) const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

#[cfg(test)]
mod tests {
    use certificate_domain::StatusPurpose;

    use super::*;

    #[test]
    fn links_name_the_served_routes_under_the_public_address() {
        let links = PublicRoutes::new("https://certificates.example/");
        let list = StatusListId { list: 1, purpose: StatusPurpose::Revocation };
        assert_eq!(links.status_list(list), "https://certificates.example/status/1-revocation");
        assert_eq!(links.verification("urn:uuid:7"), "https://certificates.example/certificate/urn:uuid:7/verify");
        assert_eq!(links.achievement("do_1 a/b?c"), "https://certificates.example/achievements/do_1%20a%2Fb%3Fc");
        let served: Vec<_> = crate::served_routes().into_iter().map(|route| route.path).collect();
        for path in ["/status/{listId}", "/certificate/{certificateId}/verify"] {
            assert!(served.iter().any(|served| served == path), "{path} is served");
        }
    }
}
