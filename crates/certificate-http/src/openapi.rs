//! The OpenAPI 3.1 description of the API, served at `GET /openapi.json`.
//!
//! It is generated from the handlers' `#[utoipa::path]` annotations and the
//! schema types below, then completed here: every `/certificate` operation
//! is listed again under the NestJS prefix `/v1/tracking` (the same routes
//! serve both), the issue answer links to the read and verify operations
//! (for clients and for schemathesis' stateful phase), and the bearer
//! requirement is stated only when the running service has tokens.
//! docs/openapi.json is the copy for a service with tokens; a test fails
//! when it differs from what the binary serves.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::auth::Tokens;
use crate::table::{served_routes, ServedRoute};
use crate::{bulk, certificates, health, published, rendering, schemas, standing, wallet, LEGACY_PREFIX};

/// A printable text: no control character (U+0000–U+001F, U+007F–U+009F).
const PRINTABLE: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
/// A printable text with at least one character that is not white space.
const PRINTABLE_NOT_BLANK: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "certificate-service",
        description = "Issues course-completion certificates (W3C verifiable credentials), records them and \
                       announces them on Kafka. Every answer is in the envelope `success`, `statusCode`, \
                       `message`, and `data` or `errors`. Every answer carries `X-Request-Id` (the caller's, or \
                       a new one), `Cache-Control: no-store` (renderings: `private`, they never change) and \
                       `X-Content-Type-Options: nosniff`."
    ),
    paths(
        certificates::issue_certificate,
        bulk::issue_bulk,
        bulk::report::job_report,
        bulk::cancel::cancel_job,
        certificates::read_certificate,
        certificates::verify_certificate,
        published::did_document,
        published::did_document_of_a_path,
        published::status_list,
        standing::revoke,
        standing::suspend,
        standing::reinstate,
        rendering::render_html,
        rendering::render_pdf,
        rendering::create_template,
        rendering::create_schema,
        rendering::generate_did,
        wallet::offer::wallet_offer,
        wallet::openid4vci::credential_issuer_metadata,
        wallet::openid4vci::authorization_server_metadata,
        wallet::openid4vci::credential_issuer_metadata_of_a_path,
        wallet::openid4vci::authorization_server_metadata_of_a_path,
        wallet::openid4vci::credential_offer,
        wallet::openid4vci::token,
        wallet::openid4vci::nonce,
        wallet::openid4vci::credential,
        wallet::vc_api::interaction,
        wallet::vc_api::exchange,
        health::live,
        health::ready,
        health::metrics,
        openapi_json
    ),
    components(schemas(schemas::Error)),
    tags(
        (name = "certificates", description = "Issue, read, verify and render certificates; their templates"),
        (name = "operators", description = "Revoke, suspend and reinstate certificates (ADMIN_TOKENS when set)"),
        (name = "wallets", description = "A certificate into its learner's wallet: the platform's offer, and OpenID4VCI 1.0's pre-authorized code flow for wallets (open: each step checks the secret the previous one gave)"),
        (name = "operations", description = "Health, metrics and this document; never behind a token")
    )
)]
struct ApiDoc;

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", body = Object))
)]
pub(crate) async fn openapi_json(tokens: web::Data<Tokens>) -> HttpResponse {
    HttpResponse::Ok().json(document(&tokens))
}

/// The whole document; the routes that need a token under `tokens` say so.
fn document(tokens: &Tokens) -> Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    add_text_rules(&mut document);
    add_issue_links(&mut document);
    add_legacy_prefix(&mut document);
    require_bearer(&mut document, tokens);
    add_request_id_headers(&mut document);
    document
}

/// A text with at least one character that is not white space (ECMAScript's
/// `\s`, as rendering::is_blank counts it), control characters allowed.
const NOT_BLANK: &str = r"^[\s\S]*\S[\s\S]*$";

/// The rule every text of the API obeys (certificate_domain's request
/// checks), as patterns: utoipa's attributes take only literals.
fn add_text_rules(document: &mut Value) {
    let schemas = &mut document["components"]["schemas"];
    for (schema, field) in
        [("RenderRequest", "credentialId"), ("RenderRequest", "templateId"), ("TemplateRequest", "schemaId")]
    {
        schemas[schema]["properties"][field]["pattern"] = json!(PRINTABLE_NOT_BLANK);
    }
    schemas["TemplateRequest"]["properties"]["template"]["pattern"] = json!(NOT_BLANK);
    schemas["StandingRequest"]["properties"]["reason"]["pattern"] = json!(PRINTABLE_NOT_BLANK);
    let request = &mut document["components"]["schemas"]["IssueRequest"]["properties"];
    for field in ["courseId", "courseName"] {
        request[field]["pattern"] = json!(PRINTABLE_NOT_BLANK);
    }
    for field in ["firstName", "middleName", "lastName", "issuedOn"] {
        request[field]["pattern"] = json!(PRINTABLE);
    }
    // A bulk job has at least one row.
    let bulk = &mut document["paths"]["/certificate/issue/bulk"]["post"]["requestBody"]["content"];
    bulk["application/json"]["schema"]["minItems"] = json!(1);
    let id_paths = [
        ("/certificate/{userId}/{courseId}", "get"),
        ("/certificate/{certificateId}/verify", "get"),
        ("/certificate/{certificateId}/revoke", "post"),
        ("/certificate/{certificateId}/suspend", "post"),
        ("/certificate/{certificateId}/reinstate", "post"),
        ("/certificate/{certificateId}/wallet-offer", "post"),
    ];
    for (path, method) in id_paths {
        let parameters = document["paths"][path][method]["parameters"].as_array_mut().expect("path parameters");
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "courseId" || p["name"] == "certificateId") {
            parameter["schema"]["pattern"] = json!(PRINTABLE_NOT_BLANK);
        }
    }
}

/// Every answer names the request it answers (observe.rs).
fn add_request_id_headers(document: &mut Value) {
    let header =
        json!({"schema": {"type": "string"}, "description": "The caller's X-Request-Id, or one made for this request"});
    let paths = document["paths"].as_object_mut().expect("the document has paths");
    for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
        for response in operation["responses"].as_object_mut().expect("responses").values_mut() {
            response["headers"]["X-Request-Id"] = header.clone();
        }
    }
}

/// The issue answer names what to read and verify next.
fn add_issue_links(document: &mut Value) {
    document["paths"]["/certificate/issue"]["post"]["responses"]["200"]["links"] = json!({
        "ReadCertificate": {
            "operationId": "read_certificate",
            "parameters": {"userId": "$request.body#/userId", "courseId": "$request.body#/courseId"},
        },
        "VerifyCertificate": {
            "operationId": "verify_certificate",
            "parameters": {"certificateId": "$response.body#/data/credential/id"},
        },
    });
}

/// Each `/certificate` path again under `/v1/tracking`, with operation ids
/// (and the links between them) suffixed so that they stay unique.
fn add_legacy_prefix(document: &mut Value) {
    let paths = document["paths"].as_object_mut().expect("the document has paths");
    let legacy: Vec<(String, Value)> = paths
        .iter()
        .filter(|(path, _)| path.starts_with("/certificate"))
        .map(|(path, item)| (format!("{LEGACY_PREFIX}{path}"), legacy_item(item)))
        .collect();
    paths.extend(legacy);
}

fn legacy_item(item: &Value) -> Value {
    let mut copy = item.clone();
    suffix_operation_ids(&mut copy);
    copy
}

/// Every `operationId` within, the operations' own and their links', ends in `_legacy`.
fn suffix_operation_ids(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match field {
                    Value::String(id) if name == "operationId" => id.push_str("_legacy"),
                    _ => suffix_operation_ids(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(suffix_operation_ids),
        _ => {}
    }
}

/// The operations a token guards (as the route table attaches them) carry
/// the bearer scheme and their 401; with no token configured, none does.
fn require_bearer(document: &mut Value, tokens: &Tokens) {
    let guarded: Vec<ServedRoute> =
        served_routes().into_iter().filter(|route| tokens.needed_by(route.access).is_some()).collect();
    if guarded.is_empty() {
        return;
    }
    document["components"]["securitySchemes"] = json!({"bearer": {"type": "http", "scheme": "bearer", "description": "One of API_TOKENS / API_TOKENS_FILE; for revoke, suspend and reinstate, one of ADMIN_TOKENS / ADMIN_TOKENS_FILE when set"}});
    let unauthorized = json!({
        "description": "No token, another scheme, or a token the service does not know",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    });
    let paths = document["paths"].as_object_mut().expect("the document has paths");
    for route in guarded {
        // Every served route is documented (crates/certificate-http/tests/validation.rs).
        let Some(operation) = paths.get_mut(&route.path).and_then(|item| item.get_mut(route.method.to_lowercase()))
        else {
            continue;
        };
        operation["security"] = json!([{"bearer": []}]);
        operation["responses"]["401"] = unauthorized.clone();
    }
}
