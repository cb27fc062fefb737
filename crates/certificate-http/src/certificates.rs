//! The certificate endpoints: issue (parse, validate, run the use case,
//! answer in the envelope), read and verify, each under both prefixes; and
//! the JSON body configuration every route with a body uses.

use actix_web::error::JsonPayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use certificate_domain::{check_id, FieldError, RequestFields, ValidationErrors};
use certificate_domain::{IssuedCredential, Verdict};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::envelope::Envelope;
use crate::schemas;
use crate::{verify_page, ApiError, AppState, MAX_BODY_BYTES};

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Marks an answer that repeats an earlier issuance's stored result.
const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

/// `GET /certificate/{certificateId}/verify`: the credential service's
/// verdict (status and checks), as it answers, or 404; a browser (an
/// `Accept` preferring `text/html`) gets the page of `verify_page`.
#[utoipa::path(
    get,
    path = "/certificate/{certificateId}/verify",
    tag = "certificates",
    operation_id = "verify_certificate",
    params(("certificateId" = String, Path, description = schemas::CERTIFICATE_ID,
            min_length = 1, max_length = 255)),
    responses(
        (status = 200, description = "The credential service's verdict; a page for people when Accept prefers text/html (Vary: Accept, Accept-Language)",
            content((schemas::Verified = "application/json"), (String = "text/html"))),
        (status = 400, description = "The id is empty, too long or has a control character", body = schemas::Error),
        (status = 404, description = "The credential service does not know this id (for a browser, a page saying so)",
            content((schemas::Error = "application/json"), (String = "text/html"))),
        (status = 502, description = "The credential service failed or answered something unreadable", body = schemas::Error),
        (status = 504, description = "The credential service did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn verify_certificate(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let mut response = match check_id("certificateId", &path.into_inner()) {
        Ok(certificate_id) if verify_page::wanted(&request) => {
            verify_page::answer(&request, &state, &certificate_id).await
        }
        Ok(certificate_id) => match state.read.verify(&certificate_id).await {
            Ok(verdict) => {
                HttpResponse::Ok().json(Envelope::of(StatusCode::OK, "Certificate verified", verdict_body(&verdict)))
            }
            Err(error) => ApiError::from(error).error_response(),
        },
        Err(errors) => ApiError::Validation(errors).error_response(),
    };
    verify_page::vary(&mut response);
    response
}

/// The verify answer's `data`: the status and one object of checks, each
/// `OK` or `NOK` (the shape Sunbird RC answers with, which clients of the
/// NestJS service read).
fn verdict_body(verdict: &Verdict) -> serde_json::Value {
    let ok = |passes: bool| if passes { "OK" } else { "NOK" };
    let checks = verdict.checks;
    serde_json::json!({
        "status": verdict.status.as_str(),
        "checks": [{
            "active": ok(checks.active),
            "revoked": ok(checks.not_revoked),
            "expired": ok(checks.not_expired),
            "proof": ok(checks.proof),
        }],
    })
}

/// `GET /certificate/{userId}/{courseId}`: the issued certificate, or 404.
#[utoipa::path(
    get,
    path = "/certificate/{userId}/{courseId}",
    tag = "certificates",
    operation_id = "read_certificate",
    params(
        ("userId" = uuid::Uuid, Path, description = "The learner"),
        ("courseId" = String, Path, description = "The course", min_length = 1, max_length = 255),
    ),
    responses(
        (status = 200, description = "The certificate issued to this learner for this course", body = schemas::Certificate),
        (status = 400, description = "userId is not a UUID, or courseId is not a printable id", body = schemas::Error),
        (status = 404, description = "No certificate is issued for this learner and course", body = schemas::Error),
        (status = 500, description = "The database refused the query", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn read_certificate(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, course_id) = path.into_inner();
    let Ok(user_id) = uuid::Uuid::try_parse(&user_id) else {
        return Err(ApiError::Validation(ValidationErrors(vec![FieldError {
            field: "userId",
            message: "must be a UUID",
        }])));
    };
    let course_id = check_id("courseId", &course_id).map_err(ApiError::Validation)?;
    let (found, standing) = state.read.read(user_id, &course_id).await?;
    let wallet_holders = match &state.wallet {
        Some(wallet) => wallet.deliver.holders(&found.certificate_id).await.map_err(ApiError::Wallet)?,
        None => Vec::new(),
    };
    let issued_on = found.issued_on.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    Ok(HttpResponse::Ok().json(Envelope::of(
        StatusCode::OK,
        "Certificate found",
        ReadAnswer {
            user_id,
            course_id: &course_id,
            certificate_id: &found.certificate_id,
            status: &found.status,
            issued_on,
            credential: as_issued(&found.credential),
            standing: standing.standing.as_str(),
            standing_reason: standing.reason.as_deref(),
            wallet_holders,
        },
    )))
}

pub(crate) fn json_config() -> web::JsonConfig {
    json_config_up_to(MAX_BODY_BYTES)
}

/// JSON bodies of at most `limit` bytes, every failure in the envelope.
pub(crate) fn json_config_up_to(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(move |error, _| json_error(error, limit).into())
}

fn json_error(error: JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge(limit)
        }
        JsonPayloadError::Deserialize(error) if error.is_data() => ApiError::Body("must be a JSON object"),
        JsonPayloadError::Deserialize(_) => ApiError::Body("is not valid JSON"),
        _ => ApiError::Body("cannot be read"),
    }
}

/// A credential in an answer: the issuer's answer as its JSON text came,
/// never re-serialised.
fn as_issued(credential: &IssuedCredential) -> &RawValue {
    serde_json::from_str(credential.answer()).expect("a recorded answer is JSON")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReadAnswer<'a> {
    user_id: uuid::Uuid,
    course_id: &'a str,
    certificate_id: &'a str,
    status: &'a str,
    issued_on: Option<String>,
    credential: &'a RawValue,
    /// What became of it after its issue: `active`, `suspended`, `revoked`.
    standing: &'static str,
    standing_reason: Option<&'a str>,
    /// The holder DIDs of the copies learners' wallets took, oldest first.
    wallet_holders: Vec<String>,
}

/// `POST /certificate/issue`: issue, record and announce a certificate.
#[utoipa::path(
    post,
    path = "/certificate/issue",
    tag = "certificates",
    operation_id = "issue_certificate",
    request_body(content = schemas::IssueRequestBody, content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255,
         pattern = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
         description = "Repeating a request with the same key answers the first one's result; \
                        another body with a used key is a 422"),
        ("X-Request-Id" = Option<String>, Header, description = "Carried into the logs and echoed; one is made when absent"),
    ),
    responses(
        (status = 200, description = "Issued, or the stored credential of an earlier issuance (Idempotent-Replayed)",
         body = schemas::Issued,
         headers(("Idempotent-Replayed" = String, description = "`true` when the answer repeats an earlier issuance"))),
        (status = 400, description = "A field breaks a rule: `errors` names each one (`body` for malformed JSON)", body = schemas::Error),
        (status = 409, description = "Another request is issuing this learner's certificate for this course right now", body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 422, description = "The Idempotency-Key was used with another body", body = schemas::Error),
        (status = 500, description = "The database refused the statement", body = schemas::Error),
        (status = 502, description = "The identity or credential service failed or answered something unreadable", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
        (status = 504, description = "The identity or credential service did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn issue_certificate(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = http.headers().get(IDEMPOTENCY_KEY).map(|value| value.as_bytes());
    let outcome = state.issue.issue_sent(body.into_inner(), idempotency_key).await?;
    let mut response = HttpResponse::Ok();
    if outcome.replayed {
        response.insert_header((REPLAYED_HEADER, HeaderValue::from_static("true")));
    }
    Ok(response.json(Envelope::of(StatusCode::OK, "Credential issued successfully", as_issued(&outcome.credential))))
}
