//! The built-in issuer keeps the contracts of the credential roles it plays
//! (issuance and verification, with its learner identity and its recorded
//! revocation), and its verdicts tell a good credential from a tampered,
//! foreign, expired or revoked one.

use certificate_domain::contract::{check_credential_issuance, check_learner_identity};
use certificate_domain::ports::{
    CredentialIssuance, CredentialRequest, CredentialVerification, LearnerIdentity, StatusListSigning,
};
use certificate_domain::{bitstring, IssueRequest, RequestFields, StatusListDocument, StatusSlot};
use certificate_domain::{
    Checks, IssuedCredential, RecordedCredential, StatusListId, StatusPurpose, Verdict, VerdictStatus,
};
use certificate_local_issuer::{
    CredentialFormat, IssuerKey, LocalIssuer, LocalIssuerConfig, UrnLearnerIdentity, DEFAULT_ISSUER_NAME,
};
use certificate_memory::doubles::ExampleLinks;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

/// The links a credential names: the ones the issuer was given.
fn links() -> Arc<ExampleLinks> {
    Arc::new(ExampleLinks("https://certificates.example"))
}

/// An issuer of the earlier `CourseCertificate`s.
fn course_certificates(key: IssuerKey) -> LocalIssuer {
    let config = LocalIssuerConfig { format: CredentialFormat::CourseCertificate, ..LocalIssuerConfig::default() };
    LocalIssuer::new(key, links()).with_config(config)
}

/// One issuer of each format.
fn both_formats() -> [LocalIssuer; 2] {
    [LocalIssuer::new(IssuerKey::generate(), links()), course_certificates(IssuerKey::generate())]
}

#[tokio::test]
async fn the_built_in_issuer_keeps_the_contracts_of_its_roles() {
    check_learner_identity(&UrnLearnerIdentity).await;
    for issuer in both_formats() {
        check_credential_issuance(&issuer).await;
    }
}

fn request(expiration: &str) -> IssueRequest {
    let fields: RequestFields = serde_json::from_value(json!({
        "userId": Uuid::new_v4(), "courseId": "do_1", "courseName": "Intro", "firstName": "Ada", "lastName": "L",
        "issuanceDate": "2025-10-13T00:00:00Z", "expirationDate": expiration,
    }))
    .unwrap();
    IssueRequest::parse(fields).unwrap()
}

async fn issued(issuer: &LocalIssuer, expiration: &str) -> (String, Value) {
    let request = request(expiration);
    let learner_did = UrnLearnerIdentity.learner_did(request.user_id()).await.unwrap();
    let credential = CredentialRequest {
        learner_did: &learner_did,
        request: &request,
        issued_on: "October 2025".into(),
        issuance_id: Uuid::new_v4(),
        status: Some(StatusSlot { list: 1, index: 5 }),
    };
    let issued = issuer.issue(credential).await.unwrap();
    (issued.certificate_id.clone(), issued.answer_json())
}

async fn verdict(issuer: &LocalIssuer, id: &str, body: Value, revoked: bool) -> Verdict {
    let credential = IssuedCredential::read(body.to_string()).expect("an answer with an id");
    let recorded = RecordedCredential { credential, revoked, suspended: false };
    issuer.verify(id, Some(&recorded)).await.unwrap().expect("a recorded credential is known")
}

/// A verdict as the verify route words it: a status and each check `OK` or `NOK`.
fn checks(status: &str, [active, revoked, expired, proof]: [&str; 4]) -> Verdict {
    let ok = |check: &str| check == "OK";
    let checks = Checks { active: ok(active), not_revoked: ok(revoked), not_expired: ok(expired), proof: ok(proof) };
    Verdict { status: VerdictStatus::from_name(status), checks }
}

#[tokio::test]
async fn an_open_badge_as_issued_verifies_and_names_the_learner_and_the_course() {
    let issuer = LocalIssuer::new(IssuerKey::generate(), links());
    let (id, body) = issued(&issuer, "2099-01-01").await;
    assert!(id.starts_with("urn:uuid:"), "{id}");
    let credential = &body["credential"];
    let contexts =
        ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"];
    assert_eq!(credential["@context"], json!(contexts));
    assert_eq!(credential["type"], json!(["VerifiableCredential", "OpenBadgeCredential"]));
    assert_eq!(credential["issuer"], json!({"id": issuer.did(), "type": ["Profile"], "name": DEFAULT_ISSUER_NAME}));
    assert_eq!(
        (credential["validFrom"].as_str(), credential["validUntil"].as_str()),
        (Some("2025-10-13T00:00:00Z"), Some("2099-01-01T00:00:00Z"))
    );
    let subject = &credential["credentialSubject"];
    assert_eq!((subject["type"].clone(), subject["name"].as_str()), (json!(["AchievementSubject"]), Some("Ada L")));
    let achievement = &subject["achievement"];
    assert_eq!(achievement["id"], "https://certificates.example/courses/do_1");
    assert_eq!(
        (achievement["name"].as_str(), achievement["achievementType"].as_str()),
        (Some("Intro"), Some("CertificateOfCompletion"))
    );
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    let read = IssuedCredential::read(body.to_string()).unwrap().subject;
    let names = [read.first_name, read.middle_name, read.last_name, read.course_id, read.course_name];
    assert_eq!(names, [Some("Ada".into()), None, Some("L".into()), Some("do_1".into()), Some("Intro".into())]);
    assert_eq!(verdict(&issuer, &id, body, false).await, checks("ISSUED", ["OK", "OK", "OK", "OK"]));
}

#[tokio::test]
async fn a_course_certificate_as_issued_verifies() {
    let issuer = course_certificates(IssuerKey::generate());
    let (id, body) = issued(&issuer, "2099-01-01").await;
    let credential = &body["credential"];
    assert_eq!(credential["@context"], json!(["https://www.w3.org/ns/credentials/v2"]));
    assert_eq!(credential["issuer"], json!(issuer.did()));
    assert_eq!(credential["credentialSubject"]["firstName"], "Ada");
    assert_eq!(credential["validUntil"], "2099-01-01T00:00:00Z");
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(verdict(&issuer, &id, body, false).await, checks("ISSUED", ["OK", "OK", "OK", "OK"]));
}

#[tokio::test]
async fn one_changed_character_of_the_subject_fails_the_proof() {
    for (issuer, course_name) in
        both_formats().into_iter().zip(["/credentialSubject/achievement/name", "/credentialSubject/courseName"])
    {
        let (id, mut body) = issued(&issuer, "2099-01-01").await;
        *body["credential"].pointer_mut(course_name).unwrap() = json!("Intrp");
        assert_eq!(
            verdict(&issuer, &id, body, false).await,
            checks("INVALID", ["OK", "OK", "OK", "NOK"]),
            "{course_name}"
        );
    }
}

#[tokio::test]
async fn a_credential_signed_by_another_key_is_not_ours() {
    let (issuer, other) =
        (LocalIssuer::new(IssuerKey::generate(), links()), LocalIssuer::new(IssuerKey::generate(), links()));
    let (id, body) = issued(&other, "2099-01-01").await;
    assert_eq!(verdict(&issuer, &id, body, false).await, checks("INVALID", ["OK", "OK", "OK", "NOK"]));
}

#[tokio::test]
async fn an_expired_credential_says_so() {
    let issuer = LocalIssuer::new(IssuerKey::generate(), links());
    let (id, body) = issued(&issuer, "2025-12-31").await;
    assert_eq!(verdict(&issuer, &id, body, false).await, checks("EXPIRED", ["OK", "OK", "NOK", "OK"]));
}

#[tokio::test]
async fn a_revoked_credential_says_so_and_its_proof_still_holds() {
    let issuer = LocalIssuer::new(IssuerKey::generate(), links());
    let (id, body) = issued(&issuer, "2099-01-01").await;
    assert_eq!(verdict(&issuer, &id, body, true).await, checks("REVOKED", ["OK", "NOK", "OK", "OK"]));
}

#[test]
fn the_did_document_names_the_key() {
    let issuer = LocalIssuer::new(IssuerKey::generate(), links());
    let document = issuer.did_document();
    assert_eq!(document["id"], json!(issuer.did()));
    let method = &document["verificationMethod"][0];
    assert_eq!(method["type"], "Multikey");
    assert_eq!(document["assertionMethod"][0], method["id"]);
}

#[tokio::test]
async fn an_open_badge_names_its_entry_in_the_revocation_list() {
    let issuer = LocalIssuer::new(IssuerKey::generate(), links());
    let (_, body) = issued(&issuer, "2099-10-13").await;
    assert_eq!(
        body["credential"]["credentialStatus"],
        json!({
            "id": "https://certificates.example/lists/1-revocation#5", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": "5",
            "statusListCredential": "https://certificates.example/lists/1-revocation",
        })
    );
}

#[tokio::test]
async fn a_course_certificate_names_its_entry_in_both_status_lists() {
    let issuer = course_certificates(IssuerKey::generate());
    let (_, body) = issued(&issuer, "2099-10-13").await;
    let status = &body["credential"]["credentialStatus"];
    assert_eq!(
        status[0],
        json!({
            "id": "https://certificates.example/lists/1-revocation#5", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": "5",
            "statusListCredential": "https://certificates.example/lists/1-revocation",
        })
    );
    assert_eq!(status[1]["statusListCredential"], "https://certificates.example/lists/1-suspension");
}

#[test]
fn a_status_list_is_signed_the_same_on_every_replica_and_carries_its_bits() {
    let key = IssuerKey::generate();
    let (one, other) = (LocalIssuer::new(key.clone(), links()), LocalIssuer::new(key, links()));
    let bits = bitstring(&[3, 131_071]);
    let id = StatusListId { list: 2, purpose: StatusPurpose::Suspension };
    let valid_from = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00.123456Z").unwrap().to_utc();
    let document = StatusListDocument {
        id,
        url: "http://x/status/2-suspension",
        bits: &bits,
        valid_from,
        ttl: Duration::from_secs(300),
    };
    let signed = one.sign_list(&document);
    assert_eq!(signed, other.sign_list(&document), "the same bytes from every replica");
    let list: Value = serde_json::from_str(&signed).unwrap();
    assert_eq!(list["type"], json!(["VerifiableCredential", "BitstringStatusListCredential"]));
    assert_eq!(list["validFrom"], "2026-12-02T10:00:00Z");
    let subject = &list["credentialSubject"];
    assert_eq!((subject["statusPurpose"].as_str(), subject["ttl"].as_u64()), (Some("suspension"), Some(300_000)));
    let (base, compressed) = multibase::decode(subject["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(base, multibase::Base::Base64Url);
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice()).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, bits, "the bitstring, GZIP-compressed");
}
