//! Bulk issuance over HTTP: `POST /certificate/issue/bulk` takes a cohort
//! as CSV (`text/csv`, a header line naming the issue request's fields) or
//! as a JSON array of issue requests, and answers 202 with the job's id and
//! address (`Location` too); `GET /certificate/jobs/{jobId}` answers the
//! job's state, counts, timing, rate and each row's outcome, as JSON in the
//! envelope or, for `Accept: text/csv`, as CSV; `POST
//! /certificate/jobs/{jobId}/cancel` cancels what it has not started. All
//! behind the API's tokens.
//! The paths are registered before the read route, which would take
//! `issue/bulk` and `jobs/{jobId}` for a learner and a course.

mod body;
pub(crate) mod cancel;
pub(crate) mod report;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::envelope::Envelope;
use crate::schemas;
use crate::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    job_id: uuid::Uuid,
    url: String,
    rows: usize,
}

/// The job's address, as `Location` and the answer name it.
pub(crate) fn job_path(job_id: uuid::Uuid) -> String {
    format!("/certificate/jobs/{job_id}")
}

/// `POST /certificate/issue/bulk`.
#[utoipa::path(
    post,
    path = "/certificate/issue/bulk",
    tag = "certificates",
    operation_id = "issue_bulk",
    request_body(
        description = "The cohort: CSV with a header line (userId, courseId, courseName, firstName, middleName, lastName, issuanceDate, expirationDate, issuedOn, reissue; an empty cell is an absent field, other columns are ignored), or a JSON array of issue requests. At most BULK_MAX_ROWS rows and BULK_MAX_MIB MiB.",
        content((String = "text/csv"), (Vec<schemas::IssueRequestBody> = "application/json"))
    ),
    responses(
        (status = 202, description = "Every row passed every rule: the job is recorded and runs (Location: its address)", body = schemas::BulkAccepted,
            headers(("Location" = String, description = "/certificate/jobs/{jobId}"))),
        (status = 400, description = "A row breaks a rule (errors name each row and field; nothing started), the body is not CSV or a JSON array, no row, or more than BULK_MAX_ROWS rows", body = schemas::BulkInvalid),
        (status = 413, description = "The body is larger than BULK_MAX_MIB", body = schemas::Error),
        (status = 415, description = "The body is neither text/csv nor application/json", body = schemas::Error),
        (status = 500, description = schemas::DATABASE_REFUSED_CHANGE, body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn issue_bulk(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let format = body::Format::of(&request)?;
    let bytes = body::read(payload, state.bulk_body_bytes).await?;
    let rows = format.rows(&bytes)?;
    let count = rows.len();
    let job_id = state.bulk.submit(rows).await?;
    let path = job_path(job_id);
    let accepted = Accepted { job_id, url: path.clone(), rows: count };
    Ok(HttpResponse::Accepted().insert_header((header::LOCATION, path)).json(Envelope::of(
        StatusCode::ACCEPTED,
        "Bulk job accepted",
        accepted,
    )))
}
