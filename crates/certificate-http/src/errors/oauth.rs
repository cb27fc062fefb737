//! The OAuth 2.0 error answer of the wallet routes, OpenID4VCI's and the
//! VC-API exchange's (RFC 6749 §5.2,
//! OpenID4VCI §8.3.1.2): `{"error", "error_description"}`, the code the
//! specification names for each refusal and nothing of the service's
//! internals; a store failure is a 503 saying only that.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use certificate_domain::ports::WalletStoreError;
use certificate_domain::use_cases::{ClaimError, ExchangeError, TokenError};
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
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self { status, code, description: description.into() }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn unsupported_grant_type() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only the pre-authorized code grant")
    }

    /// No access token at all (a wrong one is the domain's `InvalidToken`).
    pub(crate) fn no_access_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", "an access token is required")
    }

    pub(crate) fn invalid_credential_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_credential_request", description)
    }

    pub(crate) fn unknown_credential_configuration() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unknown_credential_configuration", "not a configuration of this issuer")
    }

    /// A credential request without exactly one `jwt` proof.
    pub(crate) fn one_jwt_proof() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_proof", "one proof of type jwt is required")
    }

    /// A copy that could not be made; what went wrong is logged, not told.
    pub(crate) fn copy_failed() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the copy could not be made")
    }

    fn unavailable(error: &WalletStoreError) -> Self {
        tracing::error!("the wallet store failed: {error}");
        Self::temporarily_unavailable()
    }

    fn temporarily_unavailable() -> Self {
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
                Self::temporarily_unavailable()
            }
            _ => {
                tracing::error!("taking a wallet copy failed: {description}");
                Self::copy_failed()
            }
        }
    }
}

impl From<ExchangeError> for OauthError {
    fn from(error: ExchangeError) -> Self {
        let description = error.to_string();
        match error {
            // The exchange route answers this one in the envelope, as an
            // unknown path is (vc_api.rs, `answer`).
            ExchangeError::NoOpenOffer => Self::new(StatusCode::NOT_FOUND, "not_found", description),
            ExchangeError::TransactionCodeOnly => Self::new(StatusCode::CONFLICT, "transaction_code_only", description),
            ExchangeError::InvalidPresentation(_) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_presentation", description)
            }
            ExchangeError::InvalidChallenge => Self::new(StatusCode::BAD_REQUEST, "invalid_challenge", description),
            ExchangeError::Copy(error) => error.into(),
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
