//! `GET /certificate/jobs/{jobId}`: the job as JSON in the envelope, or its
//! rows as CSV (`Accept: text/csv`), which the failed rows of can be fed
//! back as a new job once fixed (the CLI writes them so).

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use certificate_domain::model::{JobRow, JobSummary, RowOutcome};
use certificate_domain::{FieldError, ValidationErrors};
use chrono::SecondsFormat;
use std::collections::HashMap;

use serde::Serialize;

use crate::envelope::Envelope;
use crate::schemas;
use crate::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Counts {
    total: u64,
    pending: u64,
    issued: u64,
    already_issued: u64,
    failed: u64,
    cancelled: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RowAnswer<'a> {
    row: u32,
    user_id: uuid::Uuid,
    course_id: &'a str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobAnswer<'a> {
    job_id: uuid::Uuid,
    /// `running` while a row is pending, then `done`.
    state: &'static str,
    counts: Counts,
    created_at: String,
    finished_at: Option<String>,
    elapsed_seconds: f64,
    rows_per_second: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<Vec<RowAnswer<'a>>>,
}

fn row_answer(row: &JobRow) -> RowAnswer<'_> {
    let (certificate_id, error) = match &row.outcome {
        RowOutcome::Issued { certificate_id } | RowOutcome::AlreadyIssued { certificate_id } => {
            (Some(certificate_id.as_str()), None)
        }
        RowOutcome::Failed { error } => (None, Some(error.as_str())),
        RowOutcome::Pending | RowOutcome::Cancelled => (None, None),
    };
    RowAnswer {
        row: row.number,
        user_id: row.user_id,
        course_id: &row.course_id,
        outcome: row.outcome.as_str(),
        certificate_id,
        error,
    }
}

fn wants_csv(request: &HttpRequest) -> bool {
    let accept = request.headers().get(header::ACCEPT).and_then(|value| value.to_str().ok()).unwrap_or("");
    accept.split(',').any(|kind| kind.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/csv"))
}

/// `GET /certificate/jobs/{jobId}`.
#[utoipa::path(
    get,
    path = "/certificate/jobs/{jobId}",
    tag = "certificates",
    operation_id = "job_report",
    params(
        ("jobId" = uuid::Uuid, Path, description = "The job, as its 202 named it"),
        ("rows" = Option<bool>, Query, description = "false: the summary alone, without the rows"),
    ),
    responses(
        (status = 200, description = "The job: state, counts, timing, rate and each row's outcome; as CSV (row, userId, courseId, outcome, certificateId, error) for Accept: text/csv",
            content((schemas::BulkJob = "application/json"), (String = "text/csv"))),
        (status = 400, description = "jobId is not a UUID, or rows is neither true nor false", body = schemas::Error),
        (status = 404, description = "No job is known under this id", body = schemas::Error),
        (status = 500, description = "The database refused the query", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn job_report(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let job_id = job_id(&path)?;
    if wants_csv(&request) {
        let (_, rows) = state.bulk.report(job_id).await?;
        return Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(csv_of(&rows)));
    }
    // `rows=false`: the summary alone (what a progress bar polls).
    let (summary, rows) = match query.get("rows").map(String::as_str) {
        Some("false") => (state.bulk.summary(job_id).await?, None),
        None | Some("true") => state.bulk.report(job_id).await.map(|(summary, rows)| (summary, Some(rows)))?,
        Some(_) => {
            let error = FieldError { field: "rows", message: "must be true or false" };
            return Err(ApiError::Validation(ValidationErrors(vec![error])));
        }
    };
    let answer = job_answer(&summary, rows.as_deref(), state.bulk.now());
    Ok(HttpResponse::Ok().json(Envelope::of(StatusCode::OK, "Bulk job", answer)))
}

/// The path's `jobId`, a UUID.
pub(crate) fn job_id(path: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(path).map_err(|_| {
        ApiError::Validation(ValidationErrors(vec![FieldError { field: "jobId", message: "must be a UUID" }]))
    })
}

pub(crate) fn job_answer<'a>(
    summary: &JobSummary,
    rows: Option<&'a [JobRow]>,
    now: chrono::DateTime<chrono::Utc>,
) -> JobAnswer<'a> {
    let counts = summary.counts;
    let end = summary.finished_at.unwrap_or(now);
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
    JobAnswer {
        job_id: summary.id,
        state: if summary.finished_at.is_some() { "done" } else { "running" },
        counts: Counts {
            total: counts.total(),
            pending: counts.pending,
            issued: counts.issued,
            already_issued: counts.already_issued,
            failed: counts.failed,
            cancelled: counts.cancelled,
        },
        created_at: time(summary.created_at),
        finished_at: summary.finished_at.map(time),
        elapsed_seconds: (end - summary.created_at).num_milliseconds() as f64 / 1000.0,
        rows_per_second: (summary.rate(now) * 10.0).round() / 10.0,
        rows: rows.map(|rows| rows.iter().map(row_answer).collect()),
    }
}

/// The rows as CSV, a header line first.
fn csv_of(rows: &[JobRow]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["row", "userId", "courseId", "outcome", "certificateId", "error"]).expect("writing to memory");
    for row in rows.iter().map(row_answer) {
        let number = row.row.to_string();
        let user = row.user_id.to_string();
        let cells =
            [&number, &user, row.course_id, row.outcome, row.certificate_id.unwrap_or(""), row.error.unwrap_or("")];
        writer.write_record(cells).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}
