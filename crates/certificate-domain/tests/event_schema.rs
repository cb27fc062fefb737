//! Every event the domain can make conforms to the published event schema
//! (schemas/course-status-updated.schema.json), for any valid request, and
//! the file the broker's schema registry reads (schemas/user-topic.json) is
//! that same schema.

use std::path::Path;

use certificate_domain::model::{WalletCopy, WalletProtocol};
use certificate_domain::{parse_iso8601, CertificateEvent, IssueRequest, IssuedCredential, RequestFields};
use chrono::Utc;
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

fn schema_file(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

#[test]
fn the_brokers_topic_file_holds_the_published_schema() {
    let topic_file = schema_file("user-topic.json");
    assert_eq!(
        topic_file["properties"]["value"],
        schema_file("course-status-updated.schema.json"),
        "run schemas/make-topic-file.py after changing the schema"
    );
    assert!(topic_file["properties"].get("key").is_none(), "the key (the raw courseId) is not JSON");
}

/// A date or date-time in one of the forms the request accepts.
fn iso_date() -> impl Strategy<Value = String> {
    let date = (1970u32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    let time = (0u32..24, 0u32..60, 0u32..60, prop::option::of(0u32..1000)).prop_map(|(h, m, s, ms)| {
        format!("T{h:02}:{m:02}:{s:02}{}", ms.map(|ms| format!(".{ms:03}")).unwrap_or_default())
    });
    let zone =
        prop_oneof![Just(String::new()), Just("Z".to_owned()), Just("+05:30".to_owned()), Just("-08:00".to_owned())];
    (date, prop::option::of((time, zone))).prop_map(|(date, time)| match time {
        Some((time, zone)) => format!("{date}{time}{zone}"),
        None => date,
    })
}

fn non_blank() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("not blank", |s| !s.trim().is_empty())
}

prop_compose! {
    fn request()(
        course_id in non_blank(),
        course_name in non_blank(),
        first_name in any::<String>(),
        middle_name in prop::option::of(any::<String>()),
        last_name in any::<String>(),
        dates in (iso_date(), iso_date()),
        issued_on in prop::option::of(any::<String>()),
        reissue in any::<bool>(),
    ) -> IssueRequest {
        // A valid request's credential does not end before it begins.
        let (issuance_date, expiration_date) =
            if parse_iso8601(&dates.1) < parse_iso8601(&dates.0) { (dates.1, dates.0) } else { dates };
        let fields: RequestFields = serde_json::from_value(json!({
            "userId": Uuid::new_v4().to_string(), "courseId": course_id, "courseName": course_name,
            "firstName": first_name, "middleName": middle_name, "lastName": last_name,
            "issuanceDate": issuance_date, "expirationDate": expiration_date,
            "issuedOn": issued_on, "reissue": reissue,
        }))
        .unwrap();
        IssueRequest::parse(fields).expect("a valid request")
    }
}

proptest! {
    #[test]
    fn every_event_of_a_valid_request_conforms_to_the_schema(request in request(), certificate_id in non_blank()) {
        let validator = jsonschema::validator_for(&schema_file("course-status-updated.schema.json")).unwrap();
        let event = CertificateEvent::certificate_issued(&request, &certificate_id, Uuid::new_v4(), Utc::now());
        let value: Value = serde_json::from_str(&event.payload).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        prop_assert!(errors.is_empty(), "{errors:?} in {value}");
    }
}

/// A holder's DID as wallets make them: a did:key (base58btc) or a did:jwk (base64url).
fn holder() -> impl Strategy<Value = String> {
    prop_oneof!["did:key:z[1-9A-HJ-NP-Za-km-z]{44,60}", "did:jwk:[A-Za-z0-9_-]{40,200}"]
}

proptest! {
    #[test]
    fn every_claim_event_conforms_to_the_schema(course_id in non_blank(), holder in holder(), openid in any::<bool>()) {
        let validator = jsonschema::validator_for(&schema_file("course-status-updated.schema.json")).unwrap();
        let answer = json!({"credential": {"id": "urn:uuid:7", "credentialSubject": {
            "userId": Uuid::new_v4().to_string(), "courseId": course_id}}});
        let credential = IssuedCredential::read(answer.to_string()).unwrap();
        let copy = WalletCopy {
            id: Uuid::new_v4(),
            certificate_id: "urn:uuid:7".into(),
            offer_id: Uuid::new_v4(),
            holder,
            credential: "{}".into(),
            claimed_at: Utc::now(),
        };
        let protocol = if openid { WalletProtocol::OpenId4Vci } else { WalletProtocol::VcApi };
        let event = CertificateEvent::certificate_claimed(&credential, &copy, protocol, Uuid::new_v4(), Utc::now()).unwrap();
        let value: Value = serde_json::from_str(&event.payload).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        prop_assert!(errors.is_empty(), "{errors:?} in {value}");
        prop_assert_eq!(&value["data"]["eventType"], "CERTIFICATE_CLAIMED");
    }
}
