//! Cache validators of the answers kept as [`Rendered`] (renderings, signed
//! status lists): a strong `ETag` made of the bytes' digest, and whether a
//! conditional request already holds those bytes (`304`).

use actix_web::http::header;
use actix_web::HttpRequest;
use certificate_domain::Rendered;

/// The strong `ETag` of `rendered`: its digest, quoted.
pub(crate) fn entity_tag(rendered: &Rendered) -> String {
    format!("\"{}\"", rendered.digest)
}

/// Whether `If-None-Match` names `rendered` (or `*`).
pub(crate) fn not_modified(http: &HttpRequest, rendered: &Rendered) -> bool {
    let tag = entity_tag(rendered);
    http.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|given| given.trim() == tag || given.trim() == "*"))
}
