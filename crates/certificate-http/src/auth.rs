//! Bearer authentication of the `/certificate` routes (both prefixes): a
//! request must carry `Authorization: Bearer <token>` with one of the
//! configured tokens, compared in constant time. Without tokens the routes
//! are open. Health, metrics and the verify route are always open. Tokens
//! are never logged.

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

/// Whether the path is one of the API's, which need the token. Verifying
/// is open: the QR code on a printed certificate sends whoever holds it
/// there, with no token, and a verdict names no one.
fn protected(path: &str) -> bool {
    use crate::LEGACY_PREFIX;
    let path = path.strip_prefix(LEGACY_PREFIX).unwrap_or(path);
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
    let tokens = request.app_data::<web::Data<ApiTokens>>().map(|tokens| tokens.get_ref().clone()).unwrap_or_default();
    if tokens.is_empty() || !protected(request.path()) {
        return next.call(request).await.map(ServiceResponse::map_into_left_body);
    }
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
