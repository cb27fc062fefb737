//! Test doubles of the rendering ports: a renderer that writes what it was
//! given, and a printer that wraps the page in a fake PDF (or fails as told).

use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{cause_from, CertificateView, HtmlRenderer, PdfPrinter, PrintError, TemplateError};

/// Renders `<p>{template or "built-in"}|{certificate id}|{verification url}</p>`;
/// a template containing `{{#broken` does not compile.
pub struct PlainRenderer;

impl HtmlRenderer for PlainRenderer {
    fn check(&self, template: &str) -> Result<(), TemplateError> {
        match template.contains("{{#broken") {
            true => Err(TemplateError::Invalid("an unclosed block".to_owned())),
            false => Ok(()),
        }
    }

    fn render(&self, template: Option<&str>, view: &CertificateView<'_>) -> Result<String, TemplateError> {
        if let Some(template) = template {
            self.check(template)?;
        }
        let template = template.unwrap_or("built-in");
        Ok(format!("<p>{template}|{}|{}</p>", view.credential.certificate_id, view.verification_url))
    }
}

/// Prints `%PDF-fake` and the page; or fails with the error it was given.
#[derive(Default)]
pub struct FakePrinter {
    failure: Mutex<Option<PrintError>>,
    prints: Mutex<usize>,
}

impl FakePrinter {
    pub fn fail_with(&self, error: Option<PrintError>) {
        *self.failure.lock().unwrap() = error;
    }

    /// The prints asked for, failed ones included.
    pub fn prints(&self) -> usize {
        *self.prints.lock().unwrap()
    }

    pub fn unavailable() -> PrintError {
        PrintError::Unavailable(cause_from("no Chromium at /nowhere (set CHROMIUM_PATH)"))
    }
}

#[async_trait]
impl PdfPrinter for FakePrinter {
    async fn print(&self, html: &str) -> Result<Vec<u8>, PrintError> {
        *self.prints.lock().unwrap() += 1;
        match self.failure.lock().unwrap().clone() {
            Some(error) => Err(error),
            None => Ok([b"%PDF-fake ".as_slice(), html.as_bytes()].concat()),
        }
    }
}
