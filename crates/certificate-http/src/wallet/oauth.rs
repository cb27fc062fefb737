//! The OAuth 2.0 error answer of the wallet routes (RFC 6749 §5.2,
//! OpenID4VCI §8.3.1.2): `{"error", "error_description"}`, the code the
//! specification names for each refusal and nothing of the service's
//! internals; a store failure is a 503 saying only that.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use certificate_domain::ports::WalletStoreError;
use certificate_domain::use_cases::{ClaimError, TokenError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
pub(crate) struct OauthError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'static str,
    error_description: &'a str,
}

impl OauthError {
    pub(crate) fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self { status, code, description: description.into() }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn unavailable(error: &WalletStoreError) -> Self {
        tracing::error!("the wallet store failed: {error}");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again later")
    }
}

impl From<WalletStoreError> for OauthError {
    fn from(error: WalletStoreError) -> Self {
        Self::unavailable(&error)
    }
}

impl From<TokenError> for OauthError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::InvalidGrant => Self::new(StatusCode::BAD_REQUEST, "invalid_grant", error.to_string()),
            TokenError::InvalidRequest(why) => Self::invalid_request(why),
            TokenError::Store(error) => Self::unavailable(&error),
        }
    }
}

impl From<ClaimError> for OauthError {
    fn from(error: ClaimError) -> Self {
        let description = error.to_string();
        match error {
            ClaimError::InvalidToken => Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description),
            ClaimError::InvalidProof(_) => Self::new(StatusCode::BAD_REQUEST, "invalid_proof", description),
            ClaimError::InvalidNonce => Self::new(StatusCode::BAD_REQUEST, "invalid_nonce", description),
            ClaimError::Denied(_) => Self::new(StatusCode::BAD_REQUEST, "credential_request_denied", description),
            ClaimError::Store(WalletStoreError::Unavailable(_))
            | ClaimError::Repo(certificate_domain::ports::RepoError::Unavailable(_))
            | ClaimError::Standing(certificate_domain::ports::StandingError::Unavailable(_)) => {
                tracing::error!("taking a wallet copy failed: {description}");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again later")
            }
            _ => {
                tracing::error!("taking a wallet copy failed: {description}");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the copy could not be made")
            }
        }
    }
}

impl ResponseError for OauthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", format!("Bearer error=\"{}\"", self.code)));
        }
        response.json(Body { error: self.code, error_description: &self.description })
    }
}
