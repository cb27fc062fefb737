//! The rest of the NestJS certificate module, each under both prefixes:
//! `POST /certificate/render` (HTML, in the envelope), `render-PDF` (the PDF
//! itself, 201 as NestJS answers a POST), `template`, `schema` and
//! `generateDid`. Renderings carry an `ETag`; `If-None-Match` with it is a
//! 304, and a browser may keep them (privately: they name a learner).

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use certificate_domain::{Fields, Rendered, RequestFields};

use crate::answers;
use crate::envelope::Envelope;
use crate::validators::{entity_tag, not_modified};
use crate::{schemas, ApiError, AppState};

/// A rendering never changes (a credential and a stored template are immutable).
const RENDERING_CACHE: &str = "private, max-age=86400, immutable";
/// The largest template or schema body accepted; over it, a 413.
pub const MAX_DESIGN_BODY_BYTES: usize = 512 * 1024;

/// `{credentialId, templateId}`; no `templateId`: the built-in certificate.
fn render_request(body: RequestFields) -> Result<(String, Option<String>), ApiError> {
    let mut fields = Fields::new(body);
    let credential_id = fields.id("credentialId");
    let template_id = fields.optional_id("templateId");
    let both = credential_id.zip(template_id);
    Ok(fields.done(both)?)
}

fn rendering_answer(status: actix_web::http::StatusCode, rendered: &Rendered) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::ETAG, entity_tag(rendered)))
        .insert_header((header::CACHE_CONTROL, RENDERING_CACHE));
    response
}

/// `POST /certificate/render`: the certificate as HTML.
#[utoipa::path(
    post,
    path = "/certificate/render",
    tag = "certificates",
    operation_id = "render_certificate",
    request_body(content = schemas::RenderRequest, content_type = "application/json"),
    params(("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier rendering: 304 when it still is")),
    responses(
        (status = 200, description = "The certificate as HTML, in `data`", body = schemas::RenderedHtml,
         headers(("ETag" = String, description = "Of this rendering, which never changes"))),
        (status = 304, description = "The rendering named by If-None-Match is still the one"),
        (status = 400, description = "credentialId missing, or credentialId or templateId empty or not printable", body = schemas::Error),
        (status = 404, description = "No credential, or no template, under this id", body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 422, description = "The template failed on this credential", body = schemas::Error),
        (status = 502, description = "Sunbird RC failed or answered something unreadable", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
        (status = 504, description = "Sunbird RC did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn render_html(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let (credential_id, template_id) = render_request(body.into_inner())?;
    let rendered = state.render.html(&credential_id, template_id.as_deref()).await?;
    if not_modified(&http, &rendered) {
        return Ok(rendering_answer(StatusCode::NOT_MODIFIED, &rendered).finish());
    }
    let html = std::str::from_utf8(&rendered.body).expect("an HTML rendering is text");
    Ok(rendering_answer(StatusCode::OK, &rendered).json(Envelope::of(
        StatusCode::OK,
        "Credential rendered successfully",
        html,
    )))
}

/// `POST /certificate/render-PDF`: the certificate as an A4 PDF.
#[utoipa::path(
    post,
    path = "/certificate/render-PDF",
    tag = "certificates",
    operation_id = "render_certificate_pdf",
    request_body(content = schemas::RenderRequest, content_type = "application/json"),
    params(("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier rendering: 304 when it still is")),
    responses(
        (status = 201, description = "The PDF (201, as the NestJS service answers)", content_type = "application/pdf",
         body = Vec<u8>,
         headers(("ETag" = String, description = "Of this PDF, which never changes"),
                 ("Content-Disposition" = String, description = "attachment; filename=\"certificate-<credentialId>.pdf\""))),
        (status = 304, description = "The PDF named by If-None-Match is still the one"),
        (status = 400, description = "credentialId missing, or credentialId or templateId empty or not printable", body = schemas::Error),
        (status = 404, description = "No credential, or no template, under this id", body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 422, description = "The template failed on this credential", body = schemas::Error),
        (status = 502, description = "Sunbird RC failed or answered something unreadable", body = schemas::Error),
        (status = 503, description = "No PDF printer (Chromium missing, see CHROMIUM_PATH, or it crashed), or the database is unavailable", body = schemas::Error),
        (status = 504, description = "The PDF was not printed within PDF_TIMEOUT_MS, or Sunbird RC did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn render_pdf(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let (credential_id, template_id) = render_request(body.into_inner())?;
    let rendered = state.render.pdf(&credential_id, template_id.as_deref()).await?;
    if not_modified(&http, &rendered) {
        return Ok(rendering_answer(StatusCode::NOT_MODIFIED, &rendered).finish());
    }
    let disposition = format!("attachment; filename=\"certificate-{}.pdf\"", file_name_safe(&credential_id));
    let disposition = HeaderValue::from_str(&disposition).expect("a file name of safe characters");
    Ok(rendering_answer(StatusCode::CREATED, &rendered)
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(Bytes::from_owner(Body(rendered))))
}

/// A kept rendering as a response body, without copying it.
struct Body(Arc<Rendered>);

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.0.body
    }
}

/// A credential id in a file name: what a file system or a header could
/// misread (`/`, `"`, `:`...) becomes `_`.
fn file_name_safe(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || "-._".contains(c) { c } else { '_' }).collect()
}

/// `POST /certificate/template`: keeps a Handlebars template.
#[utoipa::path(
    post,
    path = "/certificate/template",
    tag = "certificates",
    operation_id = "create_template",
    request_body(content = schemas::TemplateRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The stored template (Sunbird RC's answer with CREDENTIAL_ISSUER=rc)", body = schemas::Designed),
        (status = 400, description = "schemaId or template missing or empty, or the template does not compile (`errors` names `template`)", body = schemas::Error),
        (status = 413, description = "The body is larger than 512 KiB", body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 502, description = "Sunbird RC's credential-schema service failed", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
        (status = 504, description = "Sunbird RC's credential-schema service did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn create_template(
    state: web::Data<AppState>,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let mut fields = Fields::new(body.into_inner());
    let schema_id = fields.id("schemaId");
    let template = fields.document("template");
    let (schema_id, template) = fields.done(schema_id.zip(template))?;
    let answer = answers::designed(&state.templates.add_template(&schema_id, &template).await?);
    Ok(HttpResponse::Created().json(Envelope::of(StatusCode::CREATED, "Template created successfully", answer)))
}

/// `POST /certificate/schema`: keeps a credential schema.
#[utoipa::path(
    post,
    path = "/certificate/schema",
    tag = "certificates",
    operation_id = "create_schema",
    request_body(content = schemas::SchemaRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The stored schema (Sunbird RC's answer with CREDENTIAL_ISSUER=rc)", body = schemas::Designed),
        (status = 400, description = "schema missing or not a JSON object", body = schemas::Error),
        (status = 413, description = "The body is larger than 512 KiB", body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 502, description = "Sunbird RC's credential-schema service failed", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
        (status = 504, description = "Sunbird RC's credential-schema service did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn create_schema(
    state: web::Data<AppState>,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let mut fields = Fields::new(body.into_inner());
    let schema = fields.object("schema");
    let schema = fields.done(schema)?;
    let answer = answers::designed(&state.templates.add_schema(&schema).await?);
    Ok(HttpResponse::Created().json(Envelope::of(
        StatusCode::CREATED,
        "Credential schema created successfully",
        answer,
    )))
}

/// `POST /certificate/generateDid`: the learner's identity, as the issuance gets it.
#[utoipa::path(
    post,
    path = "/certificate/generateDid",
    tag = "certificates",
    operation_id = "generate_did",
    request_body(content = schemas::GenerateDidRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The identity service's answer (an array of DID documents); with the built-in issuer, one document with the learner's urn:uuid", body = schemas::GeneratedDid),
        (status = 400, description = "userId missing or not a UUID", body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 502, description = "The identity service failed or answered something unreadable", body = schemas::Error),
        (status = 504, description = "The identity service did not answer in time", body = schemas::Error),
    )
)]
pub(crate) async fn generate_did(
    state: web::Data<AppState>,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let mut fields = Fields::new(body.into_inner());
    let user_id = fields.uuid("userId");
    let user_id = fields.done(user_id)?;
    let answer = answers::identity(&state.identity.generate_did(user_id).await.map_err(ApiError::Identity)?);
    Ok(HttpResponse::Ok().json(Envelope::of(StatusCode::OK, "DID generated successfully", answer)))
}

/// A template may be larger than an issue request.
pub(crate) fn design_json_config() -> web::JsonConfig {
    crate::certificates::json_config_up_to(MAX_DESIGN_BODY_BYTES)
}
