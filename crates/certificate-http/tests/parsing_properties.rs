//! Properties of request parsing: whatever arrives, the answer is a success
//! or a client error in the envelope, never a panic or a 5xx, and a 400
//! always names at least one field.

mod common;

use actix_web::test as actix_test;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const CONTRACT_FIELDS: [&str; 10] = [
    "userId",
    "courseId",
    "courseName",
    "firstName",
    "middleName",
    "lastName",
    "issuanceDate",
    "expirationDate",
    "issuedOn",
    "reissue",
];

fn valid() -> Value {
    json!({
        "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_1",
        "courseName": "Intro", "firstName": "John", "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2026-10-13"
    })
}

/// Any JSON value, nested a few levels, with strings of any Unicode.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(|map| Value::Object(Map::from_iter(map))),
        ]
    })
}

/// The status and body of POST /certificate/issue with this body and content type.
fn post(body: Vec<u8>, content_type: &str) -> (u16, Value) {
    let request = actix_test::TestRequest::post()
        .uri("/certificate/issue")
        .insert_header(("Content-Type", content_type))
        .set_payload(body);
    actix_web::rt::System::new().block_on(common::call(request))
}

/// The answer is one the API documents for a caller's mistake or a success,
/// in the envelope, and a 400 names the fields it rejects.
fn assert_well_formed(status: u16, body: &Value) -> Result<(), TestCaseError> {
    prop_assert!(matches!(status, 200 | 400 | 413 | 415), "status {status}: {body}");
    prop_assert_eq!(body["statusCode"].as_u64(), Some(u64::from(status)), "{}", body);
    prop_assert_eq!(body["success"].as_bool(), Some(status == 200), "{}", body);
    if status == 400 {
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        prop_assert!(!errors.is_empty(), "a 400 names a field: {}", body);
        prop_assert!(errors.iter().all(|error| error["field"].is_string()), "{}", body);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_bytes_get_a_client_answer(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let (status, answer) = post(body, "application/json");
        assert_well_formed(status, &answer)?;
    }

    #[test]
    fn any_json_gets_a_client_answer(value in any_json()) {
        let (status, answer) = post(value.to_string().into_bytes(), "application/json");
        assert_well_formed(status, &answer)?;
        prop_assert_ne!(status, 200, "only a request object with every field is issued: {}", value);
    }

    #[test]
    fn one_field_of_any_value_is_accepted_or_named(field in prop::sample::select(&CONTRACT_FIELDS[..]), value in any_json()) {
        let mut body = valid();
        body[field] = value;
        let (status, answer) = post(body.to_string().into_bytes(), "application/json");
        assert_well_formed(status, &answer)?;
        if status == 400 {
            prop_assert_eq!(answer["errors"].as_array().map(Vec::len), Some(1), "{}", answer);
            prop_assert_eq!(&answer["errors"][0]["field"], field, "{}", answer);
        }
    }

    #[test]
    fn a_truncated_request_is_a_400_naming_the_body(cut in 1usize..180) {
        let text = valid().to_string();
        let truncated = text.as_bytes()[..cut.min(text.len() - 1)].to_vec();
        let (status, answer) = post(truncated, "application/json");
        prop_assert_eq!(status, 400, "{}", answer);
        prop_assert_eq!(&answer["errors"], &json!([{"field": "body", "message": "is not valid JSON"}]));
    }

    #[test]
    fn any_content_type_is_accepted_or_a_415(content_type in "[ -~]{0,40}") {
        let (status, answer) = post(valid().to_string().into_bytes(), &content_type);
        assert_well_formed(status, &answer)?;
    }
}
