//! The contracts every adapter of a port keeps, written once and run against
//! each of them, one suite per port (a file each): `CertificateRepo`,
//! `EventOutbox` and `RevocationQueue` on the in-memory store and Postgres,
//! so that the fake the unit tests and the embedded mode use behaves as
//! Postgres does; `CertificatePublisher` on the embedded log publisher and
//! the recording double, rdkafka on tansu and kafka-rust (when a Kafka ≤ 3.9
//! broker is given), each read back from where it sent; the credential
//! roles on the Sunbird RC adapter, the built-in issuer and the in-memory
//! fake; `TemplateStore`, `StatusListStore`, `CertificateStandings`,
//! `WalletStore`, `JobStore` and `GaugeSource` on the in-memory store and
//! Postgres; `HtmlRenderer` on Handlebars and the plain double, `PdfPrinter`
//! on Chromium and the fake printer, `PublicLinks` on the HTTP adapter's
//! routes and the example links; `ReadinessCheck` on Postgres, rdkafka and
//! kafka-rust, each with its dependency there and away. Compiled only with
//! the `contract-tests` feature.
//!
//! Each store check gets a fresh, empty store; the outbox checks record their
//! events through the store's `CertificateRepo`, as the service does.

mod bulk;
mod credential;
mod gauges;
mod links;
mod outbox;
mod publisher;
mod readiness;
mod rendering;
mod repo;
mod revocation_queue;
mod standing;
mod status_list;
mod templates;
mod wallet;

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use crate::model::IssuedCredential;
use crate::model::{CertificateEvent, IssueRequest, RequestFields};
use crate::ports::{
    Acquired, CertificateRepo, Claim, ClaimRequest, ClaimToken, IssuedCertificate, PendingEvent, RepoError,
};

pub use bulk::check_job_store;
pub use credential::{
    check_credential_issuance, check_credential_revocation, check_credential_verification, check_every_credential_role,
    check_issued_lookup, check_learner_identity,
};
pub use gauges::check_gauges;
pub use links::check_public_links;
pub use outbox::check_outbox;
pub use publisher::{check_publisher, check_unreachable_publisher, Destination, Received};
pub use readiness::check_readiness;
pub use rendering::{check_html_renderer, check_pdf_printer, UNCLOSED_TEMPLATE};
pub use repo::check_repo;
pub use revocation_queue::check_revocations;
pub use standing::check_standings;
pub use status_list::check_status_list_store;
pub use templates::{check_template_store, template};
pub use wallet::check_wallet_store;

pub(crate) const LEASE: Duration = Duration::from_secs(30);

pub(crate) fn claim_request<'a>(user_id: Uuid, course_id: &'a str, reissue: bool, lease: Duration) -> ClaimRequest<'a> {
    ClaimRequest { user_id, course_id, idempotency_key: None, reissue, lease, new_issuance_id: Uuid::new_v4() }
}

pub(crate) async fn acquired(store: &impl CertificateRepo, request: ClaimRequest<'_>) -> Acquired {
    match store.claim(request).await.expect("claim") {
        Claim::Acquired(acquired) => acquired,
        other => panic!("expected the claim to be acquired, got {other:?}"),
    }
}

pub(crate) async fn acquire(store: &impl CertificateRepo, request: ClaimRequest<'_>) -> ClaimToken {
    acquired(store, request).await.token
}

/// Records a credential for the claim `token`, due for the poller after
/// `due_in`; returns the credential's body and its event as the hand-off
/// would carry it.
pub(crate) async fn record(
    store: &impl CertificateRepo,
    token: ClaimToken,
    request: &IssueRequest,
    revoke_previous: bool,
    due_in: Duration,
) -> Result<(IssuedCredential, PendingEvent), RepoError> {
    let certificate_id = format!("did:test:{}", Uuid::new_v4());
    let answer = json!({"credential": {"id": certificate_id}}).to_string();
    let credential = IssuedCredential::read(answer).expect("a credential with an id");
    let mut event = CertificateEvent::certificate_issued(request, &certificate_id, Uuid::new_v4(), Utc::now());
    event.due_at = event.created_at + chrono::Duration::from_std(due_in).expect("a short delay");
    let certificate = IssuedCertificate { request, credential: &credential, revoke_previous };
    let position = store.record_issued(token, certificate, &event).await?;
    Ok((credential, PendingEvent::recorded(position, &event)))
}

/// Records a credential for the claim `token`; returns it.
pub(crate) async fn record_credential(
    store: &impl CertificateRepo,
    token: ClaimToken,
    user_id: Uuid,
    course_id: &str,
) -> Result<IssuedCredential, RepoError> {
    record(store, token, &request(user_id, course_id, false), true, Duration::ZERO)
        .await
        .map(|(credential, _)| credential)
}

/// Issues the certificate of `user_id` for `course_id` on the claim `token`.
pub(crate) async fn issue(
    store: &impl CertificateRepo,
    token: ClaimToken,
    user_id: Uuid,
    course_id: &str,
) -> IssuedCredential {
    record_credential(store, token, user_id, course_id).await.expect("record")
}

pub(crate) fn request(user_id: Uuid, course_id: &str, reissue: bool) -> IssueRequest {
    let raw: RequestFields = serde_json::from_value(json!({
        "userId": user_id.to_string(), "courseId": course_id, "courseName": "Intro", "firstName": "Ada",
        "lastName": "Lovelace", "issuanceDate": "2025-10-13", "expirationDate": "2099-10-13", "reissue": reissue
    }))
    .expect("a well-formed request");
    IssueRequest::parse(raw).expect("a valid request")
}
