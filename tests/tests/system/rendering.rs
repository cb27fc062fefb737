//! The built-in certificate through the real renderer and the real printer
//! (Debian's Chromium), read back by poppler and zbar (tests/src/pdf.rs).
//! The page is left as target/rendered/built-in.png for a person to look at.

use std::sync::Arc;
use std::time::Duration;

use certificate_chromium::{ChromiumConfig, ChromiumPrinter, PrinterMetrics};
use certificate_domain::ports::{CertificateView, HtmlRenderer, PdfPrinter};
use certificate_domain::IssuedCredential;
use certificate_handlebars::HandlebarsRenderer;
use certificate_system_tests::pdf::{embeds, PdfFile};
use serde_json::json;

const VERIFY_URL: &str = "http://localhost:3000/certificate/urn:uuid:5d0c5a4e-2f7e-4b7a-9d3a-6f1c2b8e9a10/verify";

fn credential() -> IssuedCredential {
    let answer = json!({"credential": {
        "id": "urn:uuid:5d0c5a4e-2f7e-4b7a-9d3a-6f1c2b8e9a10",
        "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "validFrom": "2025-10-13T00:00:00Z", "validUntil": "2026-10-13T00:00:00Z",
        "credentialSubject": {
            "firstName": "अनन्या", "lastName": "शर्मा <script>alert(1)</script>",
            "courseName": "Introduction to Programming",
        },
    }});
    IssuedCredential::read(answer.to_string()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_built_in_certificate_prints_the_names_with_noto_fonts_and_a_qr_code_to_the_verify_url() {
    let credential = credential();
    let view = CertificateView { credential: &credential, verification_url: VERIFY_URL };
    let html = HandlebarsRenderer::new().render(None, &view).unwrap().replace("**Id**", &credential.certificate_id);
    assert!(!html.contains("<script>alert"), "the name is escaped in the HTML");
    let config = ChromiumConfig {
        executable: certificate_chromium::default_executable(),
        concurrency: 1,
        timeout: Duration::from_secs(30),
    };
    let printer = ChromiumPrinter::new(config, Arc::new(PrinterMetrics::default())).unwrap();
    let pdf = PdfFile::write("built-in", &printer.print(&html).await.expect("printed"));

    let text = pdf.text();
    // The name wraps onto two lines: its parts are checked one by one.
    for expected in ["अनन्या शर्मा", "<script>alert(1)", "Introduction to Programming", "13 October 2025"]
    {
        assert!(text.contains(expected), "{expected} in the PDF's text:\n{text}");
    }
    assert!(text.contains("urn:uuid:5d0c5a4e-2f7e-4b7a-9d3a-6f1c2b8e9a10"), "**Id** became the id:\n{text}");
    let fonts = pdf.fonts();
    assert!(embeds(&fonts, "NotoSerifDevanagari") || embeds(&fonts, "NotoSansDevanagari"), "{fonts}");
    assert_eq!(pdf.pages(), 1, "one A4 page");
    assert_eq!(pdf.qr_codes(), VERIFY_URL, "the QR code names the verify route");
}
