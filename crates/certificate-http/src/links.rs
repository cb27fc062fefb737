//! The public links of the routes this adapter serves: what a printed
//! certificate's QR code opens and where a credential's status lists are
//! fetched, under the service's public address (`PUBLIC_BASE_URL`).

use certificate_domain::ports::PublicLinks;
use certificate_domain::StatusListId;

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
}

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
        let served: Vec<_> = crate::served_routes().into_iter().map(|route| route.path).collect();
        for path in ["/status/{listId}", "/certificate/{certificateId}/verify"] {
            assert!(served.iter().any(|served| served == path), "{path} is served");
        }
    }
}
