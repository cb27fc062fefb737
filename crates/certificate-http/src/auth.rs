//! Bearer authentication of the `/certificate` routes (both prefixes): a
//! request must carry `Authorization: Bearer <token>` with one of the
//! configured tokens, compared in constant time. The operator routes
//! (revoke, suspend, reinstate) take `ADMIN_TOKENS` when it is set, the
//! API's tokens otherwise. Without tokens the routes are open. Health,
//! metrics, the verify route, the DID document and the status lists are
//! always open. Tokens are never logged.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use subtle::ConstantTimeEq;

use crate::ApiError;

/// The tokens the API accepts; none: the API is open.
#[derive(Clone, Default)]
pub struct ApiTokens(Arc<Vec<Vec<u8>>>);

impl ApiTokens {
    pub fn new(tokens: impl IntoIterator<Item = String>) -> Self {
        Self(Arc::new(tokens.into_iter().filter(|t| !t.is_empty()).map(String::into_bytes).collect()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every configured token is compared, whatever matched, so that the time
    /// taken says nothing about how close a guess was.
    fn accept(&self, presented: &[u8]) -> bool {
        self.0.iter().fold(false, |accepted, token| accepted | bool::from(token.as_slice().ct_eq(presented)))
    }
}

/// The API's tokens and the operator routes'.
#[derive(Clone, Default)]
pub(crate) struct Tokens {
    pub(crate) api: ApiTokens,
    pub(crate) operator: ApiTokens,
}

impl Tokens {
    /// The tokens `path` needs; `None`: it is open.
    fn needed_by(&self, path: &str) -> Option<&ApiTokens> {
        let path = path.strip_prefix(crate::LEGACY_PREFIX).unwrap_or(path);
        let tokens = if is_operator_route(path) { &self.operator } else { &self.api };
        (protected(path) && !tokens.is_empty()).then_some(tokens)
    }
}

/// `/certificate/{certificateId}/revoke`, `/suspend`, `/reinstate`.
fn is_operator_route(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["certificate", id, "revoke" | "suspend" | "reinstate"] if !id.is_empty())
}

/// Whether the path is one of the API's, which need the token. Verifying
/// is open: the QR code on a printed certificate sends whoever holds it
/// there, with no token, and a verdict names no one.
fn protected(path: &str) -> bool {
    path.starts_with("/certificate") && !is_verify(path)
}

/// `/certificate/{certificateId}/verify`.
fn is_verify(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["certificate", id, "verify"] if !id.is_empty())
}

pub(crate) async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let tokens = request.app_data::<web::Data<Tokens>>().map(|tokens| tokens.get_ref().clone()).unwrap_or_default();
    let Some(tokens) = tokens.needed_by(request.path()) else {
        return next.call(request).await.map(ServiceResponse::map_into_left_body);
    };
    let presented = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "));
    if presented.is_some_and(|token| tokens.accept(token)) {
        return next.call(request).await.map(ServiceResponse::map_into_left_body);
    }
    let (request, _) = request.into_parts();
    Ok(ServiceResponse::new(request, ApiError::Unauthorized.error_response()).map_into_right_body())
}
