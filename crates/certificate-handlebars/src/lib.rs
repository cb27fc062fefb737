//! The `HtmlRenderer` of the built-in issuer: Handlebars, Sunbird RC's
//! template language, with the context Sunbird RC's credentials service
//! gives a template: the credential's `credentialSubject`, its fields by
//! their own names, and `qr`, a QR code of the verification URL as an image
//! data URL (`<img src="{{qr}}">`). This renderer adds, where the subject
//! does not name them itself: `credentialId`, `issuer` (its DID),
//! `issuerName` (an Open Badge's issuer `Profile` name), `verificationUrl`,
//! `issuedDate` and `validUntilDate` (dates in words, UTC).
//!
//! Promises: every `{{field}}` is HTML-escaped (a learner named
//! `<script>` prints as text); a template that does not compile is refused
//! with the parser's message; without a template the built-in A4
//! certificate (`certificate.hbs`) is used. Nothing here fetches anything: a
//! template that links to the network is the printer's to block.

use std::sync::Arc;

use base64::Engine as _;
use certificate_domain::ports::{CertificateView, HtmlRenderer, TemplateError};
use chrono::{DateTime, Utc};
use handlebars::Handlebars;
use qrcode::render::svg;
use qrcode::QrCode;
use serde_json::{Map, Value};

const BUILT_IN: &str = include_str!("certificate.hbs");
const BUILT_IN_NAME: &str = "certificate";

pub struct HandlebarsRenderer {
    /// The built-in certificate, compiled once.
    registry: Arc<Handlebars<'static>>,
}

impl Default for HandlebarsRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl HandlebarsRenderer {
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.register_template_string(BUILT_IN_NAME, BUILT_IN).expect("the built-in certificate compiles");
        Self { registry: Arc::new(registry) }
    }
}

impl HtmlRenderer for HandlebarsRenderer {
    fn check(&self, template: &str) -> Result<(), TemplateError> {
        handlebars::Template::compile(template).map(drop).map_err(|error| TemplateError::Invalid(error.to_string()))
    }

    fn render(&self, template: Option<&str>, view: &CertificateView<'_>) -> Result<String, TemplateError> {
        let context = context(view);
        let rendered = match template {
            None => self.registry.render(BUILT_IN_NAME, &context),
            Some(source) => {
                self.check(source)?;
                self.registry.render_template(source, &context)
            }
        };
        rendered.map_err(|error| TemplateError::Failed(error.to_string()))
    }
}

/// The subject's fields, then what this renderer adds where the subject is
/// silent: the request's fields by the names Sunbird RC's templates use
/// (an Open Badge carries them as OB terms; the domain reads them back),
/// the QR code, the dates in words.
fn context(view: &CertificateView<'_>) -> Value {
    let credential = view.credential;
    let answer = credential.answer_json();
    let mut context = match &answer["credential"]["credentialSubject"] {
        Value::Object(subject) => subject.clone(),
        _ => Map::new(),
    };
    let mut add = |name: &str, value: Value| {
        context.entry(name.to_owned()).or_insert(value);
    };
    let subject = &credential.subject;
    for (name, value) in [
        ("firstName", &subject.first_name),
        ("middleName", &subject.middle_name),
        ("lastName", &subject.last_name),
        ("userId", &subject.user_id),
        ("courseId", &subject.course_id),
        ("courseName", &subject.course_name),
    ] {
        add(name, value.clone().map_or(Value::Null, Value::String));
    }
    add("qr", Value::String(qr_data_url(view.verification_url)));
    add("verificationUrl", Value::String(view.verification_url.to_owned()));
    add("credentialId", Value::String(credential.certificate_id.clone()));
    add("issuer", credential.issuer.clone().map_or(Value::Null, Value::String));
    add("issuerName", credential.issuer_name.clone().map_or(Value::Null, Value::String));
    add("issuedDate", credential.valid_from.map_or(Value::Null, in_words));
    add("validUntilDate", credential.valid_until.map_or(Value::Null, in_words));
    Value::Object(context)
}

fn in_words(at: DateTime<Utc>) -> Value {
    Value::String(at.format("%-d %B %Y").to_string())
}

/// An SVG QR code as a data URL: an image any template can show, that the
/// printer need not fetch.
pub fn qr_data_url(text: &str) -> String {
    let code = QrCode::new(text.as_bytes()).expect("a URL fits a QR code");
    let svg = code.render::<svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build();
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use certificate_domain::IssuedCredential;
    use serde_json::json;

    fn credential(first_name: &str) -> IssuedCredential {
        let answer = json!({"credential": {
            "id": "urn:uuid:7c1b", "issuer": "did:key:z6Mk",
            "validFrom": "2025-10-13T00:00:00Z", "validUntil": "2026-10-13T00:00:00Z",
            "credentialSubject": {"firstName": first_name, "lastName": "Doe", "courseName": "Rust & Safety"},
        }});
        IssuedCredential::read(answer.to_string()).unwrap()
    }

    fn render(template: Option<&str>, first_name: &str) -> Result<String, TemplateError> {
        let credential = credential(first_name);
        let view = CertificateView { credential: &credential, verification_url: "http://localhost:3000/v" };
        HandlebarsRenderer::new().render(template, &view)
    }

    #[test]
    fn handlebars_keeps_the_renderer_contract() {
        certificate_domain::contract::check_html_renderer(&HandlebarsRenderer::new());
    }

    #[test]
    fn a_template_sees_the_subject_and_what_the_renderer_adds() {
        let html = render(Some("{{firstName}} {{lastName}}, {{courseName}}, {{issuedDate}}, {{credentialId}}"), "Ann");
        assert_eq!(html.unwrap(), "Ann Doe, Rust &amp; Safety, 13 October 2025, urn:uuid:7c1b");
    }

    #[test]
    fn fields_are_escaped() {
        let html = render(Some("<p>{{firstName}}</p>"), "<script>alert(1)</script>").unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn quotes_are_escaped_so_a_name_cannot_leave_an_attribute() {
        let name = r#"x" onload="alert(1)" data-x='y'"#;
        for (open, close) in [(r#"<img alt=""#, r#"">"#), ("<img alt='", "'>")] {
            let html = render(Some(&format!("{open}{{{{firstName}}}}{close}")), name).unwrap();
            let value = html.strip_prefix(open).and_then(|rest| rest.strip_suffix(close)).expect(&html);
            assert!(!value.contains(['"', '\'', '<', '>']), "{html}");
            assert!(value.contains("&quot;") && value.contains("&#x27;"), "{html}");
        }
    }

    #[test]
    fn a_template_that_does_not_compile_is_refused_with_where() {
        let error = HandlebarsRenderer::new().check("<p>{{#if firstName}}</p>").unwrap_err();
        assert!(matches!(error, TemplateError::Invalid(_)), "{error}");
    }

    #[test]
    fn the_built_in_certificate_names_the_learner_the_course_and_the_qr_code() {
        let html = render(None, "अनन्या").unwrap();
        for expected in
            ["अनन्या Doe", "Rust &amp; Safety", "13 October 2025", "data:image/svg+xml;base64,", "urn:uuid:7c1b"]
        {
            assert!(html.contains(expected), "{expected} in {html}");
        }
        assert!(!html.contains("**"), "every placeholder filled: {html}");
    }

    #[test]
    fn the_built_in_certificate_names_the_issuer_by_its_profile_and_its_did() {
        let answer = json!({"credential": {
            "id": "urn:uuid:7c1b", "issuer": {"id": "did:web:university.example", "type": ["Profile"], "name": "Example University"},
            "validFrom": "2025-10-13T00:00:00Z", "credentialSubject": {"name": "Ann Doe"},
        }});
        let credential = IssuedCredential::read(answer.to_string()).unwrap();
        let view = CertificateView { credential: &credential, verification_url: "http://localhost:3000/v" };
        let html = HandlebarsRenderer::new().render(None, &view).unwrap();
        assert!(html.contains("Example University") && html.contains("did:web:university.example"), "{html}");
    }

    #[test]
    fn the_qr_code_is_an_svg_image() {
        let url = qr_data_url("http://localhost:3000/certificate/x/verify");
        let svg = base64::engine::general_purpose::STANDARD.decode(&url["data:image/svg+xml;base64,".len()..]).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    }
}
