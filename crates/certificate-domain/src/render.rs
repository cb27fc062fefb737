//! Showing a certificate: its HTML through a template, a PDF of that HTML,
//! and the templates and schemas themselves.
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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ports::{
    CertificateRepo, CertificateView, Clock, CredentialDesign, CredentialRendering, DesignAnswer, HtmlRenderer,
    PdfPrinter, PrintError, Randomness, RepoError, StoredSchema, StoredTemplate, TemplateError, TemplateStore,
    TemplateStoreError, UpstreamError, SCHEMA_VERSION, TEMPLATE_KIND,
};

/// What the NestJS service replaced with the credential id in every rendering.
pub const ID_PLACEHOLDER: &str = "**Id**";

/// A rendering and its strong `ETag` (a digest of its bytes).
#[derive(Debug)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub etag: String,
}

impl Rendered {
    pub(crate) fn of(body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
        Self { body, etag }
    }
}

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

/// How the service renders what it recorded; the QR code points at
/// `{verify_base}/certificate/{id}/verify`.
pub struct LocalRendering {
    pub repo: Arc<dyn CertificateRepo>,
    pub templates: Arc<dyn TemplateStore>,
    pub renderer: Arc<dyn HtmlRenderer>,
    pub verify_base: String,
}

/// Who turns a credential into HTML: with Sunbird RC, Sunbird RC through
/// its templates, and the service's built-in certificate when no template
/// is named (the credential is recorded here too); with the built-in
/// issuer, the service, through the templates it stored.
pub struct HtmlSource {
    pub upstream: Option<Arc<dyn CredentialRendering>>,
    pub local: LocalRendering,
}

pub struct RenderCertificate {
    source: HtmlSource,
    printer: Arc<dyn PdfPrinter>,
    html: RenderCache,
    pdf: RenderCache,
}

impl RenderCertificate {
    /// `cache_bytes`: how many bytes of renderings each cache (HTML, PDF) keeps.
    pub fn new(source: HtmlSource, printer: Arc<dyn PdfPrinter>, cache_bytes: usize) -> Self {
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
        let LocalRendering { repo, templates, renderer, verify_base } = &self.source.local;
        let template = match template_id {
            None => None,
            Some(id) => {
                let id = Uuid::try_parse(id).map_err(|_| RenderError::TemplateNotFound)?;
                Some(templates.template(id).await?.ok_or(RenderError::TemplateNotFound)?)
            }
        };
        let recorded = repo.find_credential(credential_id).await?.ok_or(RenderError::CredentialNotFound)?;
        let verification_url = format!("{verify_base}/certificate/{credential_id}/verify");
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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RenderKey {
    credential_id: String,
    template_id: Option<String>,
}

impl RenderKey {
    fn new(credential_id: &str, template_id: Option<&str>) -> Self {
        Self { credential_id: credential_id.to_owned(), template_id: template_id.map(str::to_owned) }
    }
}

/// Least recently used renderings, up to a number of bytes.
struct RenderCache {
    budget: usize,
    entries: Mutex<CacheEntries>,
}

#[derive(Default)]
struct CacheEntries {
    by_key: HashMap<RenderKey, (Arc<Rendered>, u64)>,
    bytes: usize,
    tick: u64,
}

impl RenderCache {
    fn new(budget: usize) -> Self {
        Self { budget, entries: Mutex::default() }
    }

    fn get(&self, key: &RenderKey) -> Option<Arc<Rendered>> {
        let mut entries = self.entries.lock().expect("the cache lock");
        entries.tick += 1;
        let tick = entries.tick;
        let (rendered, used) = entries.by_key.get_mut(key)?;
        *used = tick;
        Some(rendered.clone())
    }

    /// Keeps the rendering unless it alone is over the budget; evicts the
    /// least recently used until it fits.
    fn put(&self, key: RenderKey, rendered: Rendered) -> Arc<Rendered> {
        let rendered = Arc::new(rendered);
        let size = rendered.body.len();
        if size > self.budget {
            return rendered;
        }
        let mut entries = self.entries.lock().expect("the cache lock");
        while entries.bytes + size > self.budget {
            let oldest = entries.by_key.iter().min_by_key(|(_, (_, used))| *used).map(|(key, _)| key.clone());
            let Some((evicted, _)) = oldest.and_then(|key| entries.by_key.remove(&key)) else { break };
            entries.bytes -= evicted.body.len();
        }
        entries.tick += 1;
        let tick = entries.tick;
        if let Some((replaced, _)) = entries.by_key.insert(key, (rendered.clone(), tick)) {
            entries.bytes -= replaced.body.len();
        }
        entries.bytes += size;
        rendered
    }
}

/// Where templates and schemas are kept.
pub enum TemplateKeeper {
    /// Sunbird RC's credential-schema service; its answers are passed through.
    Upstream(Arc<dyn CredentialDesign>),
    /// This service's own store; a template must compile to be stored.
    Local {
        store: Arc<dyn TemplateStore>,
        renderer: Arc<dyn HtmlRenderer>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Randomness>,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DesignError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Store(#[from] TemplateStoreError),
}

pub struct ManageTemplates {
    keeper: TemplateKeeper,
}

impl ManageTemplates {
    pub fn new(keeper: TemplateKeeper) -> Self {
        Self { keeper }
    }

    /// Stores a template; the answer is the stored template as JSON (the
    /// credential-schema service's own answer with Sunbird RC).
    pub async fn add_template(&self, schema_id: &str, template: &str) -> Result<DesignAnswer, DesignError> {
        match &self.keeper {
            TemplateKeeper::Upstream(rc) => Ok(rc.add_template(schema_id, template).await?),
            TemplateKeeper::Local { store, renderer, clock, ids } => {
                renderer.check(template)?;
                let stored = StoredTemplate {
                    id: ids.new_id(),
                    schema_id: schema_id.to_owned(),
                    schema_version: SCHEMA_VERSION.to_owned(),
                    template: template.into(),
                    kind: TEMPLATE_KIND.to_owned(),
                    created_at: clock.now(),
                };
                store.add_template(&stored).await?;
                Ok(template_answer(&stored))
            }
        }
    }

    /// Stores a schema (JSON text, kept as sent).
    pub async fn add_schema(&self, schema: &str) -> Result<DesignAnswer, DesignError> {
        match &self.keeper {
            TemplateKeeper::Upstream(rc) => Ok(rc.add_schema(schema).await?),
            TemplateKeeper::Local { store, clock, ids, .. } => {
                let stored = StoredSchema { id: ids.new_id(), schema: schema.into(), created_at: clock.now() };
                store.add_schema(&stored).await?;
                Ok(schema_answer(&stored))
            }
        }
    }
}

/// The names Sunbird RC's credential-schema service gives a template's fields.
pub fn template_answer(template: &StoredTemplate) -> DesignAnswer {
    serde_json::json!({
        "templateId": template.id,
        "schemaId": template.schema_id,
        "schemaVersion": template.schema_version,
        "template": &*template.template,
        "type": template.kind,
        "createdAt": template.created_at,
    })
    .to_string()
    .into()
}

pub fn schema_answer(schema: &StoredSchema) -> DesignAnswer {
    let body: serde_json::Value = serde_json::from_str(&schema.schema).unwrap_or(serde_json::Value::Null);
    serde_json::json!({ "id": schema.id, "schema": body, "createdAt": schema.created_at }).to_string().into()
}

/// `page` with [`ID_PLACEHOLDER`] replaced by the credential id, escaped:
/// an id is whatever the issuer said (Sunbird RC's included), and a
/// template may put it in an attribute.
fn with_credential_id(page: &str, credential_id: &str) -> String {
    page.replace(ID_PLACEHOLDER, &escape_html(credential_id))
}

/// `text` as characters of HTML, in element content and in a quoted
/// attribute alike.
fn escape_html(text: &str) -> String {
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

    fn key(n: usize) -> RenderKey {
        RenderKey::new(&format!("urn:uuid:{n}"), None)
    }

    #[test]
    fn the_cache_keeps_within_its_budget_and_evicts_the_least_recently_used() {
        let cache = RenderCache::new(30);
        cache.put(key(1), Rendered::of(vec![1; 10]));
        cache.put(key(2), Rendered::of(vec![2; 10]));
        cache.put(key(3), Rendered::of(vec![3; 10]));
        assert!(cache.get(&key(1)).is_some(), "touched: now the most recent");
        cache.put(key(4), Rendered::of(vec![4; 10]));
        assert!(cache.get(&key(2)).is_none(), "the least recently used went");
        assert!(cache.get(&key(1)).is_some() && cache.get(&key(3)).is_some() && cache.get(&key(4)).is_some());
        cache.put(key(5), Rendered::of(vec![5; 31]));
        assert!(cache.get(&key(5)).is_none(), "larger than the whole budget: served, not kept");
        assert!(cache.entries.lock().unwrap().bytes <= 30);
    }

    #[test]
    fn the_etag_is_a_strong_digest_of_the_bytes() {
        let (a, b) = (Rendered::of(b"one".to_vec()), Rendered::of(b"two".to_vec()));
        assert_ne!(a.etag, b.etag);
        assert_eq!(a.etag, Rendered::of(b"one".to_vec()).etag);
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"') && a.etag.len() == 34);
    }

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
