//! The one place where failures become HTTP answers: the envelope's (this
//! file) and, for the wallet routes, OAuth's (`oauth.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use certificate_domain::ports::{
    PrintError, RepoError, StandingError, StatusListError, TemplateStoreError, Upstream, UpstreamError,
    WalletStoreError,
};
use certificate_domain::use_cases::{BulkError, OfferError, RowError};
use certificate_domain::{
    ChangeError, DesignError, FieldError, IssueError, ReadError, RenderError, ValidationErrors, VerifyError,
};
use serde::Serialize;

mod oauth;
pub(crate) use oauth::OauthError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(#[from] ValidationErrors),
    /// The body is not a JSON object; named as the field `body`.
    #[error("body - {0}")]
    Body(&'static str),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("Content-Type must be text/csv or application/json")]
    UnsupportedBulkMediaType,
    #[error("the body is larger than {0} bytes (BULK_MAX_MIB)")]
    BulkTooLarge(usize),
    #[error("{0}")]
    Bulk(#[from] BulkError),
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    Issue(#[from] IssueError),
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Verify(#[from] VerifyError),
    #[error("{0}")]
    Render(#[from] RenderError),
    #[error("{0}")]
    Design(#[from] DesignError),
    /// The identity call of `generateDid`.
    #[error("{0}")]
    Identity(UpstreamError),
    /// Reading a status list.
    #[error("{0}")]
    StatusList(StatusListError),
    #[error("{0}")]
    Standing(#[from] ChangeError),
    #[error("{0}")]
    Offer(#[from] OfferError),
    /// The wallet store, outside an offer.
    #[error("{0}")]
    Wallet(WalletStoreError),
    #[error(
        "wallet delivery needs the built-in issuer (CREDENTIAL_ISSUER=local): Sunbird RC signs these certificates"
    )]
    NoWalletDelivery,
    #[error("no open offer at this address: it was taken, it expired or it was never made")]
    NoOpenOffer,
    #[error("no such route")]
    NotFound,
    /// A known path asked with another method; the one it takes.
    #[error("use {0}")]
    MethodNotAllowed(&'static str),
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    Unauthorized,
}

/// What a caller is told when a store (every one is the database) fails:
/// written once for the repository, the standings and the status lists.
const DATABASE_UNAVAILABLE: &str = "the database is unavailable";
const DATABASE_REFUSED: &str = "the database could not do what was asked";
/// Sunbird RC, the one credential service this adapter knows, revokes only.
const NO_SUSPENSION: &str = "Sunbird RC issues these certificates and has no suspension: only revocation";

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
            ApiError::Validation(_) | ApiError::Body(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType | ApiError::UnsupportedBulkMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) | ApiError::BulkTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Bulk(error) => bulk_status(error),
            ApiError::NotFound | ApiError::NoOpenOffer => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Issue(error) => issue_status(error),
            ApiError::Read(ReadError::NotFound) => StatusCode::NOT_FOUND,
            ApiError::Read(ReadError::Repo(error)) => repo_status(error),
            ApiError::StatusList(error) => status_list_status(error),
            ApiError::Verify(VerifyError::NotFound) => StatusCode::NOT_FOUND,
            ApiError::Verify(VerifyError::Upstream(error)) => upstream_status(error),
            ApiError::Verify(VerifyError::Repo(error)) => repo_status(error),
            ApiError::Render(error) => render_status(error),
            ApiError::Design(DesignError::Template(_)) => StatusCode::BAD_REQUEST,
            ApiError::Design(DesignError::Upstream(error)) | ApiError::Identity(error) => upstream_status(error),
            ApiError::Design(DesignError::Store(error)) => store_status(error),
            ApiError::Read(ReadError::Standing(error)) | ApiError::Verify(VerifyError::Standing(error)) => {
                standing_status(error)
            }
            ApiError::Standing(error) => change_status(error),
            ApiError::Offer(OfferError::NotFound) => StatusCode::NOT_FOUND,
            ApiError::Offer(OfferError::Refused(_)) | ApiError::NoWalletDelivery => StatusCode::CONFLICT,
            ApiError::Offer(OfferError::Repo(error)) => repo_status(error),
            ApiError::Offer(OfferError::Standing(error)) => standing_status(error),
            ApiError::Offer(OfferError::Store(error)) | ApiError::Wallet(error) => wallet_status(error),
        }
    }

    /// A 5xx says what failed in product words; the underlying error goes to
    /// the log, at error level, in the request's span (its request id).
    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            ApiError::Issue(error) if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), "issuance failed: {error}");
                product_message(error)
            }
            ApiError::Read(ReadError::Repo(error)) => {
                tracing::error!(status = status.as_u16(), "reading a certificate failed: {error}");
                repo_message(error).to_owned()
            }
            ApiError::StatusList(error) => {
                tracing::error!(status = status.as_u16(), "reading a status list failed: {error}");
                status_list_message(error).to_owned()
            }
            ApiError::Verify(VerifyError::Upstream(error)) => {
                tracing::error!(status = status.as_u16(), "verifying a certificate failed: {error}");
                upstream_message(error)
            }
            ApiError::Verify(VerifyError::Repo(error)) => {
                tracing::error!(status = status.as_u16(), "verifying a certificate failed: {error}");
                repo_message(error).to_owned()
            }
            ApiError::Render(error) if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), "rendering a certificate failed: {error}");
                render_message(error)
            }
            ApiError::Design(error) if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), "storing a template or schema failed: {error}");
                match error {
                    DesignError::Upstream(error) => upstream_message(error),
                    _ => "the database could not store it".to_owned(),
                }
            }
            ApiError::Standing(error) if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), "changing a certificate's standing failed: {error}");
                match error {
                    ChangeError::Repo(error) => repo_message(error).to_owned(),
                    ChangeError::Store(StandingError::Unavailable(_)) => DATABASE_UNAVAILABLE.to_owned(),
                    _ => DATABASE_REFUSED.to_owned(),
                }
            }
            ApiError::Read(ReadError::Standing(error)) | ApiError::Verify(VerifyError::Standing(error)) => {
                tracing::error!(status = status.as_u16(), "reading a certificate's standing failed: {error}");
                match error {
                    StandingError::Unavailable(_) => DATABASE_UNAVAILABLE.to_owned(),
                    StandingError::Failed(_) => DATABASE_REFUSED.to_owned(),
                }
            }
            ApiError::Standing(ChangeError::NoSuspension) => NO_SUSPENSION.to_owned(),
            ApiError::Offer(error) if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), "making a wallet offer failed: {error}");
                database_message(status).to_owned()
            }
            ApiError::Wallet(error) => {
                tracing::error!(status = status.as_u16(), "reading a wallet offer failed: {error}");
                database_message(status).to_owned()
            }
            ApiError::Bulk(BulkError::Store(error)) => {
                tracing::error!(status = status.as_u16(), "a bulk job's store failed: {error}");
                database_message(status).to_owned()
            }
            ApiError::Bulk(BulkError::Invalid(rows)) => return rows_refused(rows),
            ApiError::Identity(error) => {
                tracing::error!(status = status.as_u16(), "generating a DID failed: {error}");
                upstream_message(error)
            }
            other => other.to_string(),
        };
        let field_error;
        let errors = match self {
            ApiError::Validation(ValidationErrors(errors))
            | ApiError::Issue(IssueError::Invalid(ValidationErrors(errors))) => errors.as_slice(),
            ApiError::Body(message) => {
                field_error = [FieldError { field: "body", message }];
                &field_error[..]
            }
            ApiError::Design(DesignError::Template(_)) => {
                field_error = [FieldError { field: "template", message: "does not compile" }];
                &field_error[..]
            }
            _ => &[],
        };
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::Unauthorized => response.insert_header(("WWW-Authenticate", "Bearer")),
            ApiError::MethodNotAllowed(allow) => response.insert_header(("Allow", *allow)),
            _ => &mut response,
        };
        response.json(ErrorBody { success: false, status_code: status.as_u16(), message, errors })
    }
}

/// What a caller is told about a failure that is not theirs.
fn product_message(error: &IssueError) -> String {
    match error {
        IssueError::Repo(error) => repo_message(error).to_owned(),
        IssueError::StatusLists(error) => status_list_message(error).to_owned(),
        IssueError::Upstream(error) => upstream_message(error),
        other => other.to_string(),
    }
}

fn upstream_message(error: &UpstreamError) -> String {
    let service = |upstream: &Upstream| upstream.to_string();
    match error {
        UpstreamError::Timeout { upstream } => format!("the {} timed out", service(upstream)),
        UpstreamError::Refused { upstream, answer, .. } => format!("the {} answered {answer}", service(upstream)),
        UpstreamError::Unreachable { upstream, .. } => format!("the {} is unreachable", service(upstream)),
        UpstreamError::AnswerLost { upstream, .. } => {
            format!("the {} closed the connection before answering", service(upstream))
        }
        UpstreamError::InvalidResponse { upstream, .. } => {
            format!("the {} sent an answer that cannot be read", service(upstream))
        }
    }
}

fn upstream_status(error: &UpstreamError) -> StatusCode {
    match error {
        UpstreamError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_GATEWAY,
    }
}

fn repo_message(error: &RepoError) -> &'static str {
    match error {
        RepoError::Unavailable(_) => DATABASE_UNAVAILABLE,
        _ => DATABASE_REFUSED,
    }
}

/// The status list store is the database, as the repository is.
fn status_list_status(error: &StatusListError) -> StatusCode {
    match error {
        StatusListError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        StatusListError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn status_list_message(error: &StatusListError) -> &'static str {
    match error {
        StatusListError::Unavailable(_) => DATABASE_UNAVAILABLE,
        StatusListError::Failed(_) => DATABASE_REFUSED,
    }
}

fn repo_status(error: &RepoError) -> StatusCode {
    match error {
        RepoError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        RepoError::ClaimLost => StatusCode::CONFLICT,
        RepoError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn render_status(error: &RenderError) -> StatusCode {
    match error {
        RenderError::CredentialNotFound | RenderError::TemplateNotFound => StatusCode::NOT_FOUND,
        RenderError::Template(_) => StatusCode::UNPROCESSABLE_ENTITY,
        RenderError::Upstream(error) => upstream_status(error),
        RenderError::Print(PrintError::Timeout(_)) => StatusCode::GATEWAY_TIMEOUT,
        RenderError::Print(_) => StatusCode::SERVICE_UNAVAILABLE,
        RenderError::Repo(error) => repo_status(error),
        RenderError::Store(error) => store_status(error),
    }
}

fn render_message(error: &RenderError) -> String {
    match error {
        RenderError::Upstream(error) => upstream_message(error),
        RenderError::Print(PrintError::Timeout(ms)) => format!("the PDF was not printed within {ms} ms"),
        // The cause names what to fix (CHROMIUM_PATH) and holds no secret.
        RenderError::Print(PrintError::Unavailable(cause)) => format!("PDF rendering is unavailable: {cause}"),
        RenderError::Print(PrintError::Failed(_)) => {
            "the PDF printer failed; the next request gets a new one".to_owned()
        }
        RenderError::Repo(error) => repo_message(error).to_owned(),
        _ => "the template store is unavailable".to_owned(),
    }
}

fn standing_status(error: &StandingError) -> StatusCode {
    match error {
        StandingError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        StandingError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn change_status(error: &ChangeError) -> StatusCode {
    match error {
        ChangeError::NotFound => StatusCode::NOT_FOUND,
        ChangeError::Refused(_) | ChangeError::NoSuspension => StatusCode::CONFLICT,
        ChangeError::Unnamed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ChangeError::Repo(error) => repo_status(error),
        ChangeError::Store(error) => standing_status(error),
    }
}

fn wallet_status(error: &WalletStoreError) -> StatusCode {
    match error {
        WalletStoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        WalletStoreError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Every store is the database: an outage, or a refusal.
fn database_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => DATABASE_UNAVAILABLE,
        _ => DATABASE_REFUSED,
    }
}

fn bulk_status(error: &BulkError) -> StatusCode {
    match error {
        BulkError::Invalid(_) | BulkError::Empty | BulkError::TooManyRows(_) => StatusCode::BAD_REQUEST,
        BulkError::NotFound => StatusCode::NOT_FOUND,
        BulkError::Store(certificate_domain::ports::JobStoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        BulkError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A bulk job with bad rows: each row's bad field, in the envelope.
fn rows_refused(rows: &[RowError]) -> HttpResponse {
    #[derive(Serialize)]
    struct RowField<'a> {
        row: u32,
        field: &'a str,
        message: &'a str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        success: bool,
        status_code: u16,
        message: String,
        errors: Vec<RowField<'a>>,
    }
    let errors = rows.iter().map(|row| RowField { row: row.row, field: row.error.field, message: row.error.message });
    let rows_with_errors = rows.iter().map(|row| row.row).collect::<std::collections::BTreeSet<_>>().len();
    HttpResponse::BadRequest().json(Body {
        success: false,
        status_code: 400,
        message: format!("{rows_with_errors} rows break a rule; nothing was started"),
        errors: errors.collect(),
    })
}

fn store_status(error: &TemplateStoreError) -> StatusCode {
    match error {
        TemplateStoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        TemplateStoreError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn issue_status(error: &IssueError) -> StatusCode {
    match error {
        IssueError::Invalid(_) => StatusCode::BAD_REQUEST,
        IssueError::InFlight | IssueError::Repo(RepoError::ClaimLost) => StatusCode::CONFLICT,
        IssueError::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        IssueError::Upstream(error) => upstream_status(error),
        IssueError::LeaseSpent => StatusCode::GATEWAY_TIMEOUT,
        IssueError::Repo(error) => repo_status(error),
        IssueError::StatusLists(error) => status_list_status(error),
    }
}

pub(crate) async fn not_found() -> HttpResponse {
    ApiError::NotFound.error_response()
}

pub(crate) fn method_not_allowed(allow: &'static str) -> HttpResponse {
    ApiError::MethodNotAllowed(allow).error_response()
}
