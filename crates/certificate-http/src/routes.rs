//! The issue endpoint (parse, validate, run the use case, answer in the
//! envelope) and the read endpoint, each under both prefixes.

use actix_web::error::JsonPayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use certificate_domain::ports::IssuanceOutcome;
use certificate_domain::{FieldError, IssueCommand, IssueOutcome, IssueRequest, RequestFields, ValidationErrors};
use serde::Serialize;

use crate::{ApiError, AppState, MAX_BODY_BYTES};

pub const ISSUE_PATHS: [&str; 2] = ["/certificate/issue", "/v1/tracking/certificate/issue"];
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// Marks an answer that repeats an earlier issuance's stored result.
const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

pub(crate) fn issue_routes(cfg: &mut web::ServiceConfig) {
    for path in ISSUE_PATHS {
        cfg.service(
            web::resource(path).route(web::post().to(issue_certificate)).default_service(web::to(method_not_allowed)),
        );
    }
}

pub(crate) fn read_routes(cfg: &mut web::ServiceConfig) {
    for prefix in ["", "/v1/tracking"] {
        cfg.route(&format!("{prefix}/certificate/{{userId}}/{{courseId}}"), web::get().to(read_certificate));
    }
}

/// `GET /certificate/{userId}/{courseId}`: the issued certificate, or 404.
async fn read_certificate(
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
    let found = state.read.read(user_id, &course_id).await?;
    let issued_on = found.issued_on.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    Ok(HttpResponse::Ok().json(SuccessBody {
        success: true,
        status_code: 200,
        message: "Certificate found",
        data: serde_json::json!({
            "userId": user_id, "courseId": course_id, "certificateId": found.certificate_id,
            "status": found.status, "issuedOn": issued_on, "credential": found.credential,
        }),
    }))
}

pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(true)
        .error_handler(|error, _| json_error(error).into())
}

fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
        JsonPayloadError::Deserialize(error) if error.is_data() => ApiError::Body("must be a JSON object"),
        JsonPayloadError::Deserialize(_) => ApiError::Body("is not valid JSON"),
        _ => ApiError::Body("cannot be read"),
    }
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", "POST"))
        .json(serde_json::json!({"success": false, "statusCode": 405, "message": "use POST"}))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuccessBody {
    success: bool,
    status_code: u16,
    message: &'static str,
    data: serde_json::Value,
}

async fn issue_certificate(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let result = issue(&state, &http, body.into_inner()).await;
    state.observer.issuance_ended(match &result {
        Ok(outcome) => outcome.outcome(),
        Err(ApiError::Issue(error)) => error.outcome(),
        Err(_) => IssuanceOutcome::Invalid,
    });
    let outcome = result?;
    let mut response = HttpResponse::Ok();
    if outcome.replayed {
        response.insert_header((REPLAYED_HEADER, HeaderValue::from_static("true")));
    }
    Ok(response.json(SuccessBody {
        success: true,
        status_code: 200,
        message: "Credential issued successfully",
        data: outcome.credential,
    }))
}

async fn issue(state: &AppState, http: &HttpRequest, body: RequestFields) -> Result<IssueOutcome, ApiError> {
    let idempotency_key = idempotency_key(http)?;
    let request = IssueRequest::parse(body).map_err(ApiError::Validation)?;
    Ok(state.issue.issue(&IssueCommand { request, idempotency_key }).await?)
}

fn idempotency_key(http: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = http.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_LEN => Ok(Some(key.to_owned())),
        _ => Err(ApiError::Validation(ValidationErrors(vec![FieldError {
            field: IDEMPOTENCY_KEY,
            message: "must be 1 to 255 visible ASCII characters",
        }]))),
    }
}
