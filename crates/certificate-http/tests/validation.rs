//! Request validation and the error envelope, in process, on the in-memory fakes.

mod common;

use actix_web::{test, App};
use certificate_http::MAX_BODY_BYTES;
use certificate_http::{configure, Tokens};
use common::state;
use serde_json::{json, Value};

fn valid() -> Value {
    json!({
        "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_1",
        "courseName": "Intro", "firstName": "John", "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2026-10-13"
    })
}

async fn post(request: test::TestRequest) -> (u16, Value) {
    common::call(request).await
}

async fn post_json(body: Value) -> (u16, Value) {
    post(test::TestRequest::post().uri("/certificate/issue").set_json(body)).await
}

/// The body with `field` set to `value` (or removed, for `Value::Null`).
async fn post_with(field: &str, value: Value) -> (u16, Value) {
    let mut body = valid();
    match value {
        Value::Null => drop(body.as_object_mut().unwrap().remove(field)),
        value => body[field] = value,
    }
    post_json(body).await
}

async fn assert_rejected(field: &str, value: Value, message: &str) {
    let (status, body) = post_with(field, value).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["errors"], json!([{"field": field, "message": message}]));
    assert_eq!(body["message"], format!("{field} - {message}"));
}

async fn assert_accepted(field: &str, value: Value) {
    let (status, body) = post_with(field, value).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Credential issued successfully");
}

macro_rules! rejects {
    ($($name:ident: $field:literal = $value:expr => $message:literal;)*) => {$(
        #[actix_web::test]
        async fn $name() {
            assert_rejected($field, $value, $message).await;
        }
    )*};
}

rejects! {
    user_id_is_required: "userId" = Value::Null => "is required";
    user_id_must_be_a_uuid: "userId" = json!("af771398") => "must be a UUID";
    course_id_is_required: "courseId" = Value::Null => "is required";
    course_id_must_not_be_empty: "courseId" = json!("  ") => "must not be empty";
    course_name_is_required: "courseName" = Value::Null => "is required";
    course_name_must_not_be_empty: "courseName" = json!("") => "must not be empty";
    first_name_is_required: "firstName" = Value::Null => "is required";
    first_name_must_be_a_string: "firstName" = json!(42) => "must be a string";
    middle_name_must_be_a_string: "middleName" = json!(["A"]) => "must be a string";
    last_name_is_required: "lastName" = Value::Null => "is required";
    last_name_must_be_a_string: "lastName" = json!({"x": 1}) => "must be a string";
    issuance_date_is_required: "issuanceDate" = Value::Null => "is required";
    issuance_date_must_be_iso_8601: "issuanceDate" = json!("13/10/2025") => "must be an ISO 8601 date or date-time";
    expiration_date_is_required: "expirationDate" = Value::Null => "is required";
    expiration_date_must_be_iso_8601: "expirationDate" = json!("next year") => "must be an ISO 8601 date or date-time";
    issued_on_must_be_a_string: "issuedOn" = json!(2025) => "must be a string";
    reissue_must_be_a_boolean: "reissue" = json!("yes") => "must be a boolean";
}

#[actix_web::test]
async fn optional_fields_may_be_given() {
    assert_accepted("middleName", json!("Quincy")).await;
    assert_accepted("issuedOn", json!("October 2025")).await;
    assert_accepted("issuanceDate", json!("2025-10-13")).await;
}

#[actix_web::test]
async fn every_bad_field_is_listed_at_once() {
    let (status, body) = post_json(json!({"userId": 7, "courseId": ""})).await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["userId", "courseId", "courseName", "firstName", "lastName", "issuanceDate", "expirationDate"]);
}

#[actix_web::test]
async fn malformed_json_is_a_400_in_the_envelope() {
    let request = test::TestRequest::post()
        .uri("/certificate/issue")
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{\"userId\": ");
    let (status, body) = post(request).await;
    assert_eq!(status, 400);
    assert_eq!(body["success"], false);
    assert_eq!(body["errors"], json!([{"field": "body", "message": "is not valid JSON"}]), "{body}");
}

#[actix_web::test]
async fn a_body_that_is_not_an_object_is_a_400_naming_the_body() {
    for not_an_object in [json!(["not", "an", "object"]), json!([null, null]), json!("text"), json!(3)] {
        let (status, body) = post_json(not_an_object.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"], json!([{"field": "body", "message": "must be a JSON object"}]), "{not_an_object}");
    }
}

#[actix_web::test]
async fn a_nul_in_any_text_field_is_a_400_naming_it() {
    for field in ["courseId", "courseName", "firstName", "middleName", "lastName", "issuedOn"] {
        let (status, body) = post_with(field, json!("do_1\u{0}")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"], json!([{"field": field, "message": "must not contain control characters"}]));
    }
}

#[actix_web::test]
async fn api_answers_are_not_cached_or_sniffed() {
    let request = test::TestRequest::post().uri("/certificate/issue").set_json(valid());
    let app = test::init_service(
        App::new().wrap(certificate_http::security_headers()).configure(configure(state(), Tokens::default())),
    )
    .await;
    let response = test::call_service(&app, request.to_request()).await;
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(response.headers().get("x-content-type-options").unwrap(), "nosniff");
}

#[actix_web::test]
async fn a_wrong_content_type_is_a_415() {
    let request = test::TestRequest::post()
        .uri("/certificate/issue")
        .insert_header(("Content-Type", "text/plain"))
        .set_payload(valid().to_string());
    let (status, body) = post(request).await;
    assert_eq!(status, 415);
    assert_eq!(body, json!({"success": false, "statusCode": 415, "message": "Content-Type must be application/json"}));
}

#[actix_web::test]
async fn a_body_over_64_kib_is_a_413() {
    let mut body = valid();
    body["courseName"] = json!("x".repeat(MAX_BODY_BYTES));
    let (status, answer) = post_json(body).await;
    assert_eq!(status, 413);
    assert_eq!(answer["success"], false);
    assert_eq!(answer["statusCode"], 413);
}

#[actix_web::test]
async fn an_overlong_idempotency_key_is_named() {
    let long_key = "k".repeat(256);
    let request = test::TestRequest::post()
        .uri("/certificate/issue")
        .insert_header(("Idempotency-Key", long_key.as_str()))
        .set_json(valid());
    let (status, body) = post(request).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");
}

#[actix_web::test]
async fn the_original_path_validates_the_same_way() {
    let request = test::TestRequest::post().uri("/v1/tracking/certificate/issue").set_json(json!({}));
    let (status, body) = post(request).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"].as_array().unwrap().len(), 7);
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let (status, body) = post(test::TestRequest::get().uri("/nope")).await;
    assert_eq!((status, body["success"].clone()), (404, json!(false)));
    let (status, body) = post(test::TestRequest::get().uri("/certificate/issue")).await;
    assert_eq!((status, body["statusCode"].clone()), (405, json!(405)));
}

#[actix_web::test]
async fn an_issued_certificate_reads_back_and_a_missing_one_is_a_404() {
    let app = test::init_service(App::new().configure(configure(state(), Tokens::default()))).await;
    let issue = test::TestRequest::post().uri("/certificate/issue").set_json(valid()).to_request();
    let issued: Value = test::call_and_read_body_json(&app, issue).await;
    let path = "/certificate/af771398-bc1a-4350-b849-907561d25957/do_1";
    for prefix in ["", "/v1/tracking"] {
        let read = test::TestRequest::get().uri(&format!("{prefix}{path}")).to_request();
        let answer: Value = test::call_and_read_body_json(&app, read).await;
        assert_eq!(answer["data"]["certificateId"], issued["data"]["credential"]["id"], "{answer}");
        assert_eq!(answer["data"]["credential"], issued["data"], "{answer}");
        assert_eq!(answer["data"]["status"], "viewCertificate");
    }
    let missing = test::TestRequest::get().uri("/certificate/af771398-bc1a-4350-b849-907561d25957/do_2").to_request();
    let response = test::call_service(&app, missing).await;
    assert_eq!(response.status(), 404);
    let bad = test::TestRequest::get().uri("/certificate/not-a-uuid/do_1").to_request();
    let answer: Value = test::call_and_read_body_json(&app, bad).await;
    assert_eq!(answer["errors"], json!([{"field": "userId", "message": "must be a UUID"}]));
}

#[actix_web::test]
async fn verify_answers_the_verdict_and_404_for_an_unknown_id() {
    let app = test::init_service(App::new().configure(configure(state(), Tokens::default()))).await;
    let issue = test::TestRequest::post().uri("/certificate/issue").set_json(valid()).to_request();
    let issued: Value = test::call_and_read_body_json(&app, issue).await;
    let id = issued["data"]["credential"]["id"].as_str().unwrap();
    let verify = test::TestRequest::get().uri(&format!("/certificate/{id}/verify")).to_request();
    let answer: Value = test::call_and_read_body_json(&app, verify).await;
    assert_eq!(answer["data"]["status"], "ISSUED", "{answer}");
    let unknown = test::TestRequest::get().uri("/certificate/did:upai:nobody/verify").to_request();
    assert_eq!(test::call_service(&app, unknown).await.status(), 404);
}

#[actix_web::test]
async fn the_openapi_document_is_served_and_names_every_route() {
    let (status, document) = post(test::TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        documented.extend(item.as_object().unwrap().keys().map(|method| (method.to_uppercase(), path.clone())));
    }
    let mut served: Vec<(String, String)> =
        certificate_http::served_routes().into_iter().map(|route| (route.method.to_owned(), route.path)).collect();
    documented.sort();
    served.sort();
    assert_eq!(served, documented, "every served route is documented, and every documented one served");
    assert!(served.len() >= 11, "{served:?}");
    assert!(document["components"]["securitySchemes"].is_null(), "without tokens the API is open, and says so");
}
