//! The operator's routes: `POST /certificate/{certificateId}/revoke`
//! `{reason}`, `/suspend` `{reason}` and `/reinstate`, both prefixes,
//! behind `ADMIN_TOKENS` when it is set (the API's tokens otherwise).
//! Each answers the certificate's standing after it, in the envelope; asking
//! for the standing it already has is a 200 and changes nothing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use certificate_domain::StandingRecord;
use certificate_domain::{check_id, check_reason, RequestFields, StandingCommand};
use serde::Serialize;

use crate::envelope::Envelope;
use crate::schemas;
use crate::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StandingAnswer<'a> {
    certificate_id: &'a str,
    standing: &'static str,
    reason: Option<&'a str>,
    changed_at: Option<String>,
}

async fn change(
    state: &AppState,
    certificate_id: &str,
    command: StandingCommand,
    reason: &str,
) -> Result<HttpResponse, ApiError> {
    let certificate_id = check_id("certificateId", certificate_id).map_err(ApiError::Validation)?;
    let record = state.standings.apply(&certificate_id, command, reason).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(StatusCode::OK, "Certificate standing", answer(&certificate_id, &record))))
}

fn answer<'a>(certificate_id: &'a str, record: &'a StandingRecord) -> StandingAnswer<'a> {
    StandingAnswer {
        certificate_id,
        standing: record.standing.as_str(),
        reason: record.reason.as_deref(),
        changed_at: record.changed_at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    }
}

fn reason_of(body: web::Json<RequestFields>) -> Result<String, ApiError> {
    check_reason(body.into_inner()).map_err(ApiError::Validation)
}

/// `POST /certificate/{certificateId}/revoke`: final.
#[utoipa::path(
    post,
    path = "/certificate/{certificateId}/revoke",
    tag = "operators",
    operation_id = "revoke_certificate",
    params(("certificateId" = String, Path, description = schemas::CERTIFICATE_ID,
            min_length = 1, max_length = 255)),
    request_body(content = schemas::StandingRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Revoked (now, or before)", body = schemas::StandingAnswer),
        (status = 400, description = "reason missing, blank, over 500 characters or with a control character; or the id is not printable", body = schemas::Error),
        (status = 404, description = schemas::NO_SUCH_CERTIFICATE, body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 500, description = schemas::DATABASE_REFUSED_CHANGE, body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let reason = reason_of(body)?;
    change(&state, &path.into_inner(), StandingCommand::Revoke, &reason).await
}

/// `POST /certificate/{certificateId}/suspend`: until reinstated.
#[utoipa::path(
    post,
    path = "/certificate/{certificateId}/suspend",
    tag = "operators",
    operation_id = "suspend_certificate",
    params(("certificateId" = String, Path, description = "The credential's id", min_length = 1, max_length = 255)),
    request_body(content = schemas::StandingRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Suspended (now, or before)", body = schemas::StandingAnswer),
        (status = 400, description = "reason missing, blank, over 500 characters or with a control character; or the id is not printable", body = schemas::Error),
        (status = 404, description = schemas::NO_SUCH_CERTIFICATE, body = schemas::Error),
        (status = 409, description = "The certificate is revoked (final), or Sunbird RC issues the certificates (it has no suspension)", body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 500, description = schemas::DATABASE_REFUSED_CHANGE, body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn suspend(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let reason = reason_of(body)?;
    change(&state, &path.into_inner(), StandingCommand::Suspend, &reason).await
}

/// What a reinstatement is recorded with: it takes no body.
const REINSTATED: &str = "reinstated";

/// `POST /certificate/{certificateId}/reinstate`: a suspended certificate is active again.
#[utoipa::path(
    post,
    path = "/certificate/{certificateId}/reinstate",
    tag = "operators",
    operation_id = "reinstate_certificate",
    params(("certificateId" = String, Path, description = "The credential's id", min_length = 1, max_length = 255)),
    responses(
        (status = 200, description = "Active (now, or already)", body = schemas::StandingAnswer),
        (status = 400, description = "The id is not printable", body = schemas::Error),
        (status = 404, description = schemas::NO_SUCH_CERTIFICATE, body = schemas::Error),
        (status = 409, description = "The certificate is revoked (final), or Sunbird RC issues the certificates (it has no suspension)", body = schemas::Error),
        (status = 500, description = schemas::DATABASE_REFUSED_CHANGE, body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn reinstate(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    change(&state, &path.into_inner(), StandingCommand::Reinstate, REINSTATED).await
}
