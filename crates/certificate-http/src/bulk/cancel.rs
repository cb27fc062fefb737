//! `POST /certificate/jobs/{jobId}/cancel`: what the job has not started is
//! cancelled; a row being issued at that moment finishes, and the job's
//! report says what became of it. Behind the API's tokens, as the job's
//! submission is: whoever may start a job may stop it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::report::{job_answer, job_id};
use crate::envelope::Envelope;
use crate::schemas;
use crate::{ApiError, AppState};

/// `POST /certificate/jobs/{jobId}/cancel`.
#[utoipa::path(
    post,
    path = "/certificate/jobs/{jobId}/cancel",
    tag = "certificates",
    operation_id = "cancel_job",
    params(("jobId" = uuid::Uuid, Path, description = "The job, as its 202 named it")),
    responses(
        (status = 200, description = "The job once cancelled (its summary, without the rows): its pending rows counted as cancelled; cancelling a job again, or a job already done, changes nothing", body = schemas::BulkJob),
        (status = 400, description = "jobId is not a UUID", body = schemas::Error),
        (status = 404, description = "No job is known under this id", body = schemas::Error),
        (status = 500, description = "The database refused the change", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn cancel_job(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let summary = state.bulk.cancel(job_id(&path)?).await?;
    let answer = job_answer(&summary, None, state.bulk.now());
    Ok(HttpResponse::Ok().json(Envelope::of(StatusCode::OK, "Bulk job cancelled", answer)))
}
