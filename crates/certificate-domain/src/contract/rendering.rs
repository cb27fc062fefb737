//! The `HtmlRenderer` and `PdfPrinter` contracts: what `RenderCertificate`
//! relies on from whichever renderer and printer it is given.

use serde_json::json;

use crate::model::IssuedCredential;
use crate::ports::{CertificateView, HtmlRenderer, PdfPrinter, TemplateError};

/// A template that does not compile in Handlebars: a block left open.
pub const UNCLOSED_TEMPLATE: &str = "<p>{{#broken}}</p>";

/// Runs every check of the renderer contract: a template that compiles is
/// accepted and one that does not is refused as `Invalid`, when checked and
/// when rendered; the built-in certificate names the certificate's id and
/// where it is verified (the QR code's target, in words too).
pub fn check_html_renderer(renderer: &dyn HtmlRenderer) {
    renderer.check("<p>{{firstName}} {{lastName}}, {{courseName}}</p>").expect("a template that compiles");
    assert!(
        matches!(renderer.check(UNCLOSED_TEMPLATE), Err(TemplateError::Invalid(_))),
        "an unclosed block is refused when checked"
    );
    let credential = credential();
    let view = CertificateView { credential: &credential, verification_url: "https://certificates.example/v/7c1b" };
    assert!(
        matches!(renderer.render(Some(UNCLOSED_TEMPLATE), &view), Err(TemplateError::Invalid(_))),
        "and when rendered"
    );
    let page = renderer.render(None, &view).expect("the built-in certificate");
    assert!(page.contains("urn:uuid:7c1b2d3e"), "the built-in certificate names the certificate: {page}");
    assert!(page.contains(view.verification_url), "and where it is verified: {page}");
}

/// Runs the printer contract: a page comes back as a PDF, and so does a
/// page that names a resource elsewhere, which the printer may not fetch.
pub async fn check_pdf_printer(printer: &dyn PdfPrinter) {
    let pdf = printer.print("<meta charset='UTF-8'><h1>Ada Lovelace</h1>").await.expect("a printed page");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let elsewhere = "<img src='http://192.0.2.1/logo.png'><p>Ada Lovelace</p>";
    let pdf = printer.print(elsewhere).await.expect("a page naming a resource elsewhere prints without it");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
}

fn credential() -> IssuedCredential {
    let answer = json!({"credential": {
        "id": "urn:uuid:7c1b2d3e", "issuer": "did:key:z6Mk",
        "validFrom": "2025-10-13T00:00:00Z", "validUntil": "2099-10-13T00:00:00Z",
        "credentialSubject": {"firstName": "Ada", "lastName": "Lovelace", "courseName": "Analytical Engines"},
    }});
    IssuedCredential::read(answer.to_string()).expect("a credential")
}
