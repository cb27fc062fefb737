//! Bearer authentication, decided on the route that will run. Each route of
//! the route table ([`crate::table`]) carries its [`Access`], and the check
//! wraps that route's resource, so it runs after the router has matched the
//! percent-decoded path: however a path is spelled, the handler it reaches
//! asks for its own token, and a spelling that reaches no handler is a 404.
//! Nothing here reads the text of the path.
//!
//! A request must carry `Authorization: Bearer <token>` with one of the
//! tokens its access level takes, compared in constant time. Tokens are never
//! logged.

use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use subtle::ConstantTimeEq;

use crate::ApiError;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, metrics, the OpenAPI document, the DID document, the
    /// status lists and verify (the QR code on a printed certificate sends
    /// whoever holds it there, with no token, and a verdict names no one).
    Open,
    /// The platform: one of `API_TOKENS`.
    Api,
    /// An operator (revoke, suspend, reinstate): one of `ADMIN_TOKENS`, or
    /// of `API_TOKENS` when no admin tokens are configured.
    Operator,
}

/// A set of bearer tokens.
#[derive(Clone, Default)]
pub struct ApiTokens(Arc<Vec<Vec<u8>>>);

impl ApiTokens {
    /// Blank tokens are dropped: they are what an empty line or a trailing
    /// comma leaves, never a token.
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

/// The tokens of each access level. A level with no tokens is open: that is
/// what an unconfigured service (the embedded default) runs with; a variable
/// set to no token at all is refused at start instead (`HttpConfig`).
#[derive(Clone, Default)]
pub struct Tokens {
    api: ApiTokens,
    operator: ApiTokens,
}

impl Tokens {
    /// `operator`: the operator routes' own tokens; `None`: the API's.
    pub fn new(api: ApiTokens, operator: Option<ApiTokens>) -> Self {
        let operator = operator.unwrap_or_else(|| api.clone());
        Self { api, operator }
    }

    /// The tokens a route of `access` takes; `None`: it is open.
    pub(crate) fn needed_by(&self, access: Access) -> Option<&ApiTokens> {
        let tokens = match access {
            Access::Open => return None,
            Access::Api => &self.api,
            Access::Operator => &self.operator,
        };
        (!tokens.is_empty()).then_some(tokens)
    }
}

/// The check of one route, run once the router has chosen it. Without the
/// tokens in the app's data (a wiring mistake) every token is refused:
/// a missing configuration never opens a route.
pub(crate) async fn authorize(
    access: Access,
    request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, Error> {
    let needed = match (access, request.app_data::<web::Data<Tokens>>()) {
        (Access::Open, _) => None,
        (_, Some(tokens)) => tokens.needed_by(access).cloned(),
        (_, None) => Some(ApiTokens::default()),
    };
    let Some(tokens) = needed else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(list: &[&str]) -> ApiTokens {
        ApiTokens::new(list.iter().map(|t| t.to_string()))
    }

    #[test]
    fn operator_routes_take_the_admin_tokens_when_there_are_some_and_the_apis_otherwise() {
        let separate = Tokens::new(tokens(&["api"]), Some(tokens(&["admin"])));
        assert!(separate.needed_by(Access::Operator).unwrap().accept(b"admin"));
        assert!(!separate.needed_by(Access::Operator).unwrap().accept(b"api"));
        assert!(!separate.needed_by(Access::Api).unwrap().accept(b"admin"));
        let shared = Tokens::new(tokens(&["api"]), None);
        assert!(shared.needed_by(Access::Operator).unwrap().accept(b"api"));
        assert!(shared.needed_by(Access::Open).is_none());
    }
}
