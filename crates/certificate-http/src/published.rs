//! What the built-in issuer publishes, open to anyone: its DID document
//! (`GET /.well-known/did.json`, a did:key's or a did:web's) and its Bitstring Status Lists
//! (`GET /status/{listId}`: a verifier holding a credential fetches the
//! list it names). A list is answered from memory with a strong `ETag`;
//! `If-None-Match` with it is a 304; `Cache-Control` lets any cache keep it
//! for the list's ttl (a list names no learner).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use certificate_domain::StatusListId;

use crate::schemas;
use crate::validators::{entity_tag, not_modified};
use crate::{ApiError, AppState};

/// `GET /.well-known/did.json`: the built-in issuer's DID document (a
/// did:key's, or a did:web's, with or without a path).
#[utoipa::path(
    get,
    path = "/.well-known/did.json",
    tag = "operations",
    operation_id = "did_document",
    responses(
        (status = 200, description = "The built-in issuer's DID document (CREDENTIAL_ISSUER=local): its did:key's, or its did:web's (ISSUER_DID), which resolvers fetch here", body = Object,
            headers(("Cache-Control" = String, description = "public, max-age=300"))),
        (status = 404, description = "Sunbird RC issues the credentials; its DIDs resolve there", body = schemas::Error),
    )
)]
pub(crate) async fn did_document(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.did_document.as_ref().map(did_document_answer).ok_or(ApiError::NotFound)
}

/// `GET /{didPath}/did.json`: the document of a did:web with a path.
#[utoipa::path(
    get,
    path = "/{didPath}/did.json",
    tag = "operations",
    operation_id = "did_document_of_a_path",
    params(("didPath" = String, Path, description = "The path of ISSUER_DID=did:web:<host>:<path…>, its colons slashes (did:web:example.org:issuers:1 → issuers/1)")),
    responses(
        (status = 200, description = "The built-in issuer's did:web document", body = Object,
            headers(("Cache-Control" = String, description = "public, max-age=300"))),
        (status = 404, description = "Not the path of the issuer's did:web", body = schemas::Error),
    )
)]
pub(crate) async fn did_document_of_a_path(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let document = state.did_document.as_ref().ok_or(ApiError::NotFound)?;
    let own_path = document["id"].as_str().and_then(did_web_path);
    if own_path.as_deref() != Some(request.path()) {
        return Err(ApiError::NotFound);
    }
    Ok(did_document_answer(document))
}

fn did_document_answer(document: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, DID_DOCUMENT_CACHING)).json(document)
}

/// Where the did:web method looks for the document of `did` (W3C CCG did:web,
/// "Read"): `/.well-known/did.json` for a host, `/<path>/did.json` for
/// `did:web:<host>:<path…>`, the path's colons slashes.
fn did_web_path(did: &str) -> Option<String> {
    let segments: Vec<&str> = did.strip_prefix("did:web:")?.split(':').skip(1).collect();
    Some(match segments.as_slice() {
        [] => "/.well-known/did.json".to_owned(),
        path => format!("/{}/did.json", path.join("/")),
    })
}

/// How long a resolver may keep the DID document: it changes only with the
/// issuer's keys, and a key added must reach resolvers within minutes.
const DID_DOCUMENT_CACHING: &str = "public, max-age=300";

/// The media type of a VC 2.0 credential (W3C VC Data Model 2.0, section C.1).
const VC_MEDIA_TYPE: &str = "application/vc+ld+json";

#[utoipa::path(
    get,
    path = "/status/{listId}",
    tag = "certificates",
    operation_id = "status_list",
    params(
        ("listId" = String, Path, description = "<number>-revocation or <number>-suspension, as a credential's credentialStatus names it"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier answer: 304 while the list is unchanged"),
    ),
    responses(
        (status = 200, description = "The BitstringStatusListCredential (W3C Bitstring Status List v1.0), signed by the issuer (eddsa-jcs-2022)",
         content_type = "application/vc+ld+json", body = Object,
         headers(("ETag" = String, description = "Of this version of the list"),
                 ("Cache-Control" = String, description = "public, max-age = the list's ttl"))),
        (status = 304, description = "The list named by If-None-Match is unchanged"),
        (status = 404, description = "No such list (or Sunbird RC issues the credentials: it publishes none)", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn status_list(
    state: web::Data<AppState>,
    http: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let lists = state.status_lists.as_ref().ok_or(ApiError::NotFound)?;
    let id: StatusListId = path.parse().map_err(|_| ApiError::NotFound)?;
    let answer = lists.list(id).await.map_err(ApiError::StatusList)?;
    let answer = answer.ok_or(ApiError::NotFound)?;
    let cache = format!("public, max-age={}", lists.ttl().as_secs());
    let unchanged = not_modified(&http, &answer);
    let mut response = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header((header::ETAG, entity_tag(&answer))).insert_header((header::CACHE_CONTROL, cache));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type(VC_MEDIA_TYPE).body(answer.body.clone()))
}

#[cfg(test)]
mod tests {
    use super::did_web_path;

    #[test]
    fn a_did_web_is_read_where_its_method_says() {
        assert_eq!(did_web_path("did:web:example.org").as_deref(), Some("/.well-known/did.json"));
        assert_eq!(did_web_path("did:web:localhost%3A8443:issuers:1").as_deref(), Some("/issuers/1/did.json"));
        assert_eq!(did_web_path("did:key:z6Mk"), None);
    }
}
