//! Showing a certificate: its HTML through a template, and a PDF of that
//! HTML.
//!
//! Promises:
//! - the same template renders with both issuers: Sunbird RC renders its own
//!   credentials through the templates it keeps; with the built-in issuer the
//!   service renders what it recorded, through the templates it stored, with
//!   the same Handlebars context; without a template, with either issuer,
//!   the service's built-in certificate;
//! - the text `**Id**` becomes the credential id, as the NestJS service did,
//!   HTML-escaped (an id is whatever the issuer said, and it lands in markup);
//! - what a credential and a template rendered never changes (a credential
//!   is immutable, a stored template too, a re-issue makes a new credential),
//!   so renderings are kept, bounded, and carry an `ETag` of their bytes;
//! - a page is printed with nothing it could fetch from the network: the
//!   printer's promise ([`PdfPrinter`]).

use std::sync::Arc;

use uuid::Uuid;

use crate::ports::{
    CertificateRepo, CertificateView, CredentialRendering, HtmlRenderer, PdfPrinter, PrintError, PublicLinks,
    RepoError, TemplateError, TemplateStore, TemplateStoreError, UpstreamError,
};
use crate::use_cases::render_cache::{RenderCache, RenderKey, Rendered};

/// What the NestJS service replaced with the credential id in every rendering.
pub const ID_PLACEHOLDER: &str = "**Id**";

#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    #[error("no credential is known under this id")]
    CredentialNotFound,
    #[error("no template is known under this id")]
    TemplateNotFound,
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Store(#[from] TemplateStoreError),
}

/// How the service renders what it recorded; the QR code opens the
/// certificate's verification link.
pub struct LocalRendering {
    pub repo: Arc<dyn CertificateRepo>,
    pub templates: Arc<dyn TemplateStore>,
    pub renderer: Arc<dyn HtmlRenderer>,
    pub links: Arc<dyn PublicLinks>,
}

/// Who turns a credential into HTML: with Sunbird RC, Sunbird RC through
/// its templates, and the service's built-in certificate when no template
/// is named (the credential is recorded here too); with the built-in
/// issuer, the service, through the templates it stored.
pub struct RenderSources {
    pub upstream: Option<Arc<dyn CredentialRendering>>,
    pub local: LocalRendering,
}

pub struct RenderCertificate {
    source: RenderSources,
    printer: Arc<dyn PdfPrinter>,
    html: RenderCache,
    pdf: RenderCache,
}

impl RenderCertificate {
    /// `cache_bytes`: how many bytes of renderings each cache (HTML, PDF) keeps.
    pub fn new(source: RenderSources, printer: Arc<dyn PdfPrinter>, cache_bytes: usize) -> Self {
        Self { source, printer, html: RenderCache::new(cache_bytes), pdf: RenderCache::new(cache_bytes) }
    }

    pub async fn html(&self, credential_id: &str, template_id: Option<&str>) -> Result<Arc<Rendered>, RenderError> {
        let key = RenderKey::new(credential_id, template_id);
        if let Some(hit) = self.html.get(&key) {
            return Ok(hit);
        }
        let html = with_credential_id(&self.render(credential_id, template_id).await?, credential_id);
        Ok(self.html.put(key, Rendered::of(html.into_bytes())))
    }

    pub async fn pdf(&self, credential_id: &str, template_id: Option<&str>) -> Result<Arc<Rendered>, RenderError> {
        let key = RenderKey::new(credential_id, template_id);
        if let Some(hit) = self.pdf.get(&key) {
            return Ok(hit);
        }
        let html = self.html(credential_id, template_id).await?;
        let page = with_charset(&String::from_utf8_lossy(&html.body));
        let pdf = self.printer.print(&page).await?;
        Ok(self.pdf.put(key, Rendered::of(pdf)))
    }

    async fn render(&self, credential_id: &str, template_id: Option<&str>) -> Result<String, RenderError> {
        if let (Some(rc), Some(template_id)) = (&self.source.upstream, template_id) {
            return rc.render_html(credential_id, template_id).await?.ok_or(RenderError::CredentialNotFound);
        }
        let LocalRendering { repo, templates, renderer, links } = &self.source.local;
        let template = match template_id {
            None => None,
            Some(id) => {
                let id = Uuid::try_parse(id).map_err(|_| RenderError::TemplateNotFound)?;
                Some(templates.template(id).await?.ok_or(RenderError::TemplateNotFound)?)
            }
        };
        let recorded = repo.find_credential(credential_id).await?.ok_or(RenderError::CredentialNotFound)?;
        let verification_url = links.verification(credential_id);
        let view = CertificateView { credential: &recorded.credential, verification_url: &verification_url };
        Ok(renderer.render(template.as_ref().map(|t| &*t.template), &view)?)
    }
}

/// Chromium guesses the encoding of a page without one; the NestJS service
/// added this line before printing for the same reason.
fn with_charset(html: &str) -> String {
    if html.to_ascii_lowercase().contains("charset") {
        return html.to_owned();
    }
    format!("<meta charset=\"UTF-8\">{html}")
}

/// `page` with [`ID_PLACEHOLDER`] replaced by the credential id, escaped:
/// an id is whatever the issuer said (Sunbird RC's included), and a
/// template may put it in an attribute.
fn with_credential_id(page: &str, credential_id: &str) -> String {
    page.replace(ID_PLACEHOLDER, &escape_html(credential_id))
}

/// `text` as characters of HTML, in element content and in a quoted
/// attribute alike.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_credential_id_lands_as_text_in_content_and_attributes() {
        let page = r#"<a title="**Id**" data-x='**Id**'>**Id**</a>"#;
        let html = with_credential_id(page, r#"x" onclick='alert(1)'><script>alert(2)</script>&"#);
        let escaped = "x&quot; onclick=&#x27;alert(1)&#x27;&gt;&lt;script&gt;alert(2)&lt;/script&gt;&amp;";
        assert_eq!(html, format!(r#"<a title="{escaped}" data-x='{escaped}'>{escaped}</a>"#));
    }

    #[test]
    fn a_page_gets_a_charset_unless_it_has_one() {
        assert_eq!(with_charset("<p>x</p>"), "<meta charset=\"UTF-8\"><p>x</p>");
        let declared = "<html><head><meta charset='utf-8'></head></html>";
        assert_eq!(with_charset(declared), declared);
    }
}
