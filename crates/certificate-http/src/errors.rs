//! The one place where failures become HTTP answers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use certificate_domain::ports::{RepoError, UpstreamError};
use certificate_domain::{FieldError, IssueError, ValidationErrors};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("{0}")]
    BadRequest(String),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("request body is larger than {} bytes", crate::MAX_BODY_BYTES)]
    PayloadTooLarge,
    #[error("{0}")]
    Issue(#[from] IssueError),
    #[error("no such route")]
    NotFound,
}

/// The envelope of docs/contract.md, for failures.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    success: bool,
    status_code: u16,
    message: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Issue(error) => issue_status(error),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), "issuance failed: {self}");
        }
        let errors = match self {
            ApiError::Validation(ValidationErrors(errors)) => errors.as_slice(),
            _ => &[],
        };
        HttpResponse::build(status).json(ErrorBody {
            success: false,
            status_code: status.as_u16(),
            message: self.to_string(),
            errors,
        })
    }
}

fn issue_status(error: &IssueError) -> StatusCode {
    match error {
        IssueError::InFlight | IssueError::Repo(RepoError::ClaimLost) => StatusCode::CONFLICT,
        IssueError::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        IssueError::Upstream(UpstreamError::Timeout { .. }) => StatusCode::GATEWAY_TIMEOUT,
        IssueError::Upstream(_) => StatusCode::BAD_GATEWAY,
        IssueError::Repo(RepoError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        IssueError::Repo(RepoError::Failed(_)) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub(crate) async fn not_found() -> HttpResponse {
    ApiError::NotFound.error_response()
}
