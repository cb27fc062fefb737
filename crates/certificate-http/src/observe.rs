//! Per request: a request id (from `X-Request-Id` or new), a tracing span
//! carrying it so that every log line of the request names it, the id echoed
//! in the response, and the HTTP metrics. A wallet offer's secret in a path
//! is not logged ([`crate::wallet::loggable`]).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use tracing::Instrument;
use uuid::Uuid;

use crate::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const MAX_REQUEST_ID_LEN: usize = 128;

fn request_id(request: &ServiceRequest) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= MAX_REQUEST_ID_LEN)
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

pub(crate) async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&request);
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let method = request.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %crate::wallet::loggable(request.path()));
    let started = Instant::now();
    let mut response = next.call(request).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if let Some(state) = state {
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        let status = response.status().as_u16();
        state.http_metrics.request_served(route, method, status, started.elapsed().as_secs_f64());
    }
    Ok(response)
}
