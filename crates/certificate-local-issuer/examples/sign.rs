//! How long the built-in issuer takes to make and sign one credential, per
//! format, on one core: `make bench` (bench/open_badges.py) runs it beside
//! Digital Bazaar's eddsa-rdfc-2022 cryptosuite in node. Prints one line of
//! JSON: microseconds per credential, by format. Usage: `sign [COUNT]`.

use std::sync::Arc;
use std::time::Instant;

use certificate_domain::ports::{CredentialIssuance, CredentialRequest, PublicLinks};
use certificate_domain::{IssueRequest, RequestFields, StatusListId, StatusSlot};
use certificate_local_issuer::{CredentialFormat, IssuerKey, LocalIssuer, LocalIssuerConfig};
use uuid::Uuid;

struct Links;

impl PublicLinks for Links {
    fn verification(&self, certificate_id: &str) -> String {
        format!("https://certificates.example/certificate/{certificate_id}/verify")
    }
    fn status_list(&self, list: StatusListId) -> String {
        format!("https://certificates.example/status/{list}")
    }
    fn achievement(&self, course_id: &str) -> String {
        format!("https://certificates.example/achievements/{course_id}")
    }
}

fn request() -> IssueRequest {
    let fields: RequestFields = serde_json::from_value(serde_json::json!({
        "userId": Uuid::new_v4(), "courseId": "do_21430769261883392012483",
        "courseName": "Introduction to Programming", "firstName": "John", "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z",
    }))
    .expect("a JSON object");
    IssueRequest::parse(fields).expect("a valid request")
}

/// Microseconds per credential of `count` issued one after the other.
async fn per_credential(format: CredentialFormat, count: u32) -> f64 {
    let config = LocalIssuerConfig { format, ..LocalIssuerConfig::default() };
    let issuer = LocalIssuer::new(IssuerKey::generate(), Arc::new(Links)).with_config(config);
    let request = request();
    let started = Instant::now();
    for _ in 0..count {
        let credential = CredentialRequest {
            learner_did: "urn:uuid:af771398-bc1a-4350-b849-907561d25957",
            request: &request,
            issued_on: "October 2025".to_owned(),
            issuance_id: Uuid::new_v4(),
            status: Some(StatusSlot { list: 1, index: 4711 }),
        };
        issuer.issue(credential).await.expect("the built-in issuer issues");
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(count)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let count = std::env::args().nth(1).and_then(|count| count.parse().ok()).unwrap_or(2_000);
    // A first round warms the allocator and the caches, as a running service has them.
    per_credential(CredentialFormat::OpenBadge, count / 10 + 1).await;
    let open_badge = per_credential(CredentialFormat::OpenBadge, count).await;
    let course_certificate = per_credential(CredentialFormat::CourseCertificate, count).await;
    println!(
        "{}",
        serde_json::json!({"count": count, "open_badge_us": open_badge, "course_certificate_us": course_certificate})
    );
}
