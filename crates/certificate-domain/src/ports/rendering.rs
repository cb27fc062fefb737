//! How a certificate becomes something a learner sees: HTML from a
//! Handlebars template ([`HtmlRenderer`]), a PDF from that HTML
//! ([`PdfPrinter`]); or, with Sunbird RC, the credential service's own
//! renderer and template registry ([`CredentialRendering`],
//! [`CredentialDesign`]).

use std::sync::Arc;

use super::{Cause, UpstreamError};
use crate::model::IssuedCredential;
use async_trait::async_trait;

/// What a template is rendered with: the credential, and where anyone
/// holding the certificate can check it (the QR code's target).
pub struct CertificateView<'a> {
    pub credential: &'a IssuedCredential,
    pub verification_url: &'a str,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TemplateError {
    /// The template does not compile; the message says where.
    #[error("the template does not compile: {0}")]
    Invalid(String),
    /// It compiled, and failed on this credential (a helper it calls failed).
    #[error("the template failed on this credential: {0}")]
    Failed(String),
}

/// Handlebars, Sunbird RC's template language: a template works with both
/// issuers. CPU only, so not async.
pub trait HtmlRenderer: Send + Sync + 'static {
    fn check(&self, template: &str) -> Result<(), TemplateError>;
    /// `None`: the built-in certificate.
    fn render(&self, template: Option<&str>, view: &CertificateView<'_>) -> Result<String, TemplateError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PrintError {
    /// No printer to print with (Chromium missing, or it died and cannot restart).
    #[error("the PDF printer is unavailable: {0}")]
    Unavailable(Cause),
    #[error("the PDF was not printed within {0} ms")]
    Timeout(u64),
    #[error("the PDF printer failed: {0}")]
    Failed(Cause),
}

#[async_trait]
pub trait PdfPrinter: Send + Sync + 'static {
    /// An A4 PDF of the page; the page may not fetch anything.
    async fn print(&self, html: &str) -> Result<Vec<u8>, PrintError>;
}

/// Sunbird RC renders its own credentials through the templates it keeps.
#[async_trait]
pub trait CredentialRendering: Send + Sync + 'static {
    /// The credential as HTML through the template; `None`: unknown credential.
    async fn render_html(&self, credential_id: &str, template_id: &str) -> Result<Option<String>, UpstreamError>;
}

/// An answer of the credential-schema service, JSON text passed through.
pub type SchemaServiceAnswer = Arc<str>;

/// Sunbird RC's credential-schema service keeps the templates and schemas.
#[async_trait]
pub trait CredentialDesign: Send + Sync + 'static {
    async fn add_template(&self, schema_id: &str, template: &str) -> Result<SchemaServiceAnswer, UpstreamError>;
    async fn add_schema(&self, schema: &str) -> Result<SchemaServiceAnswer, UpstreamError>;
}
