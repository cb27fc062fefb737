//! The verification page's HTML, from what it shows: server-rendered, every
//! text escaped, no script needed (one small inline script copies the link;
//! the link is on the page for anyone without it), nothing from another
//! host, readable at phone width and printable (page.css).

use std::fmt::Write;
use std::sync::LazyLock;

use base64::Engine as _;
use certificate_domain::escape_html as escape;
use chrono::{DateTime, Datelike, Utc};
use percent_encoding::utf8_percent_encode;
use sha2::{Digest, Sha256};

use super::texts::{CheckWords, Language, Said, Texts};
use crate::links::PATH_SEGMENT;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = "document.getElementById('copy').addEventListener('click',function(e){\
navigator.clipboard.writeText(e.target.getAttribute('data-url'));});";

/// The page's `Content-Security-Policy`: nothing but its own inline style
/// and script (by their hashes), no request to any host, not framed.
pub(crate) static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src data:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        hash(STYLE),
        hash(SCRIPT)
    )
});

/// What the verdict is, as a person reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Valid,
    Revoked(Option<DateTime<Utc>>),
    Suspended(Option<DateTime<Utc>>),
    Expired(Option<DateTime<Utc>>),
    Invalid,
    NotFound,
    Unavailable,
}

/// The checks behind a verdict, as VerifierPlus lists them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckResults {
    pub signature: bool,
    pub not_revoked: bool,
    pub not_suspended: bool,
    pub not_expired: bool,
}

/// What the certificate says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Details {
    /// `None` when the operator hides names (`VERIFY_PAGE_SHOWS_NAME=false`).
    pub learner: Option<String>,
    pub course: Option<String>,
    pub description: Option<String>,
    pub criteria: Option<String>,
    pub issuer_name: Option<String>,
    pub issuer_url: Option<String>,
    pub issuer_did: Option<String>,
    pub issued: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

pub(crate) struct PageView<'a> {
    pub language: Language,
    pub outcome: Outcome,
    pub checks: Option<CheckResults>,
    pub details: Option<Details>,
    pub certificate_id: &'a str,
    /// This page's own address, as the QR code names it.
    pub page_url: &'a str,
    /// `false`: `noindex` (the default; `VERIFY_PAGE_INDEXABLE=true` lifts it).
    pub indexable: bool,
}

impl PageView<'_> {
    fn said(&self, texts: &'static Texts) -> (&'static str, String) {
        let (said, date): (&Said, Option<DateTime<Utc>>) = match self.outcome {
            Outcome::Valid => (&texts.valid, None),
            Outcome::Revoked(at) => (&texts.revoked, at),
            Outcome::Suspended(at) => (&texts.suspended, at),
            Outcome::Expired(at) => (&texts.expired, at),
            Outcome::Invalid => (&texts.invalid, None),
            Outcome::NotFound => (&texts.not_found, None),
            Outcome::Unavailable => (&texts.unavailable, None),
        };
        let sentence = match date {
            Some(at) => said.sentence.replace("{date}", &in_words(at, texts)),
            None => said.undated.to_owned(),
        };
        (said.title, sentence)
    }

    fn tone(&self) -> &'static str {
        match self.outcome {
            Outcome::Valid => "valid",
            Outcome::Suspended(_) | Outcome::Expired(_) => "warning",
            Outcome::Revoked(_) | Outcome::Invalid => "bad",
            Outcome::NotFound | Outcome::Unavailable => "unknown",
        }
    }
}

/// The page.
pub(crate) fn page(view: &PageView<'_>) -> String {
    let texts = view.language.texts();
    let (title, sentence) = view.said(texts);
    let details = view.details.clone().unwrap_or_default();
    let course = details.course.as_deref();
    let heading = [details.learner.as_deref(), course].into_iter().flatten().collect::<Vec<_>>().join(": ");
    let og_title = if heading.is_empty() { title.to_owned() } else { format!("{heading} — {title}") };
    let og_description = match details.issuer_name.as_deref() {
        Some(issuer) => format!("{sentence} {}: {issuer}.", texts.issuer),
        None => sentence.clone(),
    };
    let mut html = String::with_capacity(8 * 1024);
    let robots = if view.indexable { "index, follow" } else { "noindex, nofollow" };
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{page_title}: {title}</title><meta name=\"robots\" content=\"{robots}\">\
         <meta name=\"description\" content=\"{og_description}\">\
         <meta property=\"og:type\" content=\"website\"><meta property=\"og:title\" content=\"{og_title}\">\
         <meta property=\"og:description\" content=\"{og_description}\"><meta property=\"og:url\" content=\"{url}\">\
         <meta property=\"og:locale\" content=\"{locale}\">{site}\
         <meta name=\"twitter:card\" content=\"summary\"><meta name=\"twitter:title\" content=\"{og_title}\">\
         <meta name=\"twitter:description\" content=\"{og_description}\">\
         <style>{STYLE}</style></head><body><main>",
        lang = view.language.tag(),
        page_title = escape(texts.page_title),
        title = escape(title),
        og_description = escape(&og_description),
        og_title = escape(&og_title),
        url = escape(view.page_url),
        locale = if view.language == Language::Hindi { "hi_IN" } else { "en_US" },
        site = details
            .issuer_name
            .as_deref()
            .map(|name| format!("<meta property=\"og:site_name\" content=\"{}\">", escape(name)))
            .unwrap_or_default(),
    );
    let _ = write!(
        html,
        "<section class=\"card verdict {tone}\" aria-live=\"polite\"><p class=\"kicker\">{kicker}</p>\
         <h1>{title}</h1><p>{sentence}</p></section>",
        tone = view.tone(),
        kicker = escape(texts.page_title),
        title = escape(title),
        sentence = escape(&sentence),
    );
    if let Some(checks) = view.checks {
        write_checks(&mut html, texts, checks, view.outcome);
    }
    if view.details.is_some() {
        write_details(&mut html, texts, &details, view.certificate_id);
    }
    if view.outcome == Outcome::Valid {
        write_share(&mut html, texts, &details, view);
    }
    if view.checks.is_some() {
        let _ = write!(html, "<footer><p>{}</p></footer>", escape(texts.about));
    }
    html.push_str("</main>");
    if view.outcome == Outcome::Valid {
        let _ = write!(html, "<script>{SCRIPT}</script>");
    }
    html.push_str("</body></html>\n");
    html
}

fn write_checks(html: &mut String, texts: &Texts, checks: CheckResults, outcome: Outcome) {
    let _ = write!(html, "<section class=\"card\"><h2>{}</h2><ul class=\"checks\">", escape(texts.checks));
    let expired_on = match outcome {
        Outcome::Expired(Some(at)) => Some(in_words(at, texts)),
        _ => None,
    };
    let rows: [(&CheckWords, bool, Option<String>); 4] = [
        (&texts.signature, checks.signature, None),
        (&texts.revocation, checks.not_revoked, None),
        (&texts.suspension, checks.not_suspended, None),
        (&texts.expiry, checks.not_expired, expired_on),
    ];
    for (words, passed, date) in rows {
        let (class, mark, said) = if passed { ("pass", "✓", words.passed) } else { ("fail", "✗", words.failed) };
        let date = date.map(|date| format!(" ({})", escape(&date))).unwrap_or_default();
        let _ = write!(
            html,
            "<li><span>{}</span><span class=\"{class}\"><span aria-hidden=\"true\">{mark}</span> {}{date}</span></li>",
            escape(words.name),
            escape(said)
        );
    }
    html.push_str("</ul></section>");
}

fn write_details(html: &mut String, texts: &Texts, details: &Details, certificate_id: &str) {
    html.push_str("<section class=\"card\"><dl>");
    let mut row = |label: &str, value: String| {
        let _ = write!(html, "<dt>{}</dt><dd>{value}</dd>", escape(label));
    };
    let text = |value: &Option<String>| value.as_deref().map(escape);
    if let Some(learner) = text(&details.learner) {
        row(texts.learner, format!("<strong>{learner}</strong>"));
    }
    for (label, value) in [
        (texts.course, &details.course),
        (texts.description, &details.description),
        (texts.criteria, &details.criteria),
    ] {
        if let Some(value) = text(value) {
            row(label, value);
        }
    }
    let issuer = [
        text(&details.issuer_name),
        details
            .issuer_url
            .as_deref()
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
            .map(|url| format!("<a href=\"{url}\" rel=\"noopener\">{url}</a>", url = escape(url))),
        text(&details.issuer_did).map(|did| format!("<code>{did}</code>")),
    ];
    let issuer: Vec<String> = issuer.into_iter().flatten().collect();
    if !issuer.is_empty() {
        row(texts.issuer, issuer.join("<br>"));
    }
    if let Some(at) = details.issued {
        row(texts.issued, escape(&in_words(at, texts)));
    }
    if let Some(at) = details.valid_until {
        row(texts.valid_until, escape(&in_words(at, texts)));
    }
    row(texts.certificate_id, format!("<code>{}</code>", escape(certificate_id)));
    html.push_str("</dl></section>");
}

fn write_share(html: &mut String, texts: &Texts, details: &Details, view: &PageView<'_>) {
    let _ = write!(html, "<section class=\"card share\"><h2>{}</h2>", escape(texts.share));
    let _ = write!(
        html,
        "<a class=\"button\" href=\"{}\" rel=\"noopener\">{}</a>",
        escape(&linkedin_url(details, view.certificate_id, view.page_url)),
        escape(texts.linkedin)
    );
    let _ = write!(
        html,
        "<button type=\"button\" id=\"copy\" data-url=\"{url}\">{copy}</button>\
         <label for=\"link\">{label}</label><input id=\"link\" type=\"text\" readonly value=\"{url}\"></section>",
        url = escape(view.page_url),
        copy = escape(texts.copy_link),
        label = escape(texts.link_label),
    );
}

/// LinkedIn's "add to profile" link for a certification: its name, the
/// organisation, the issue and expiry year and month, this page and the id.
pub(crate) fn linkedin_url(details: &Details, certificate_id: &str, page_url: &str) -> String {
    let mut query: Vec<(&str, String)> = vec![("startTask", "CERTIFICATION_NAME".to_owned())];
    if let Some(course) = &details.course {
        query.push(("name", course.clone()));
    }
    if let Some(issuer) = &details.issuer_name {
        query.push(("organizationName", issuer.clone()));
    }
    if let Some(at) = details.issued {
        query.push(("issueYear", at.year().to_string()));
        query.push(("issueMonth", at.month().to_string()));
    }
    if let Some(at) = details.valid_until {
        query.push(("expirationYear", at.year().to_string()));
        query.push(("expirationMonth", at.month().to_string()));
    }
    query.push(("certUrl", page_url.to_owned()));
    query.push(("certId", certificate_id.to_owned()));
    let encoded: Vec<String> =
        query.iter().map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, PATH_SEGMENT))).collect();
    format!("https://www.linkedin.com/profile/add?{}", encoded.join("&"))
}

fn in_words(at: DateTime<Utc>, texts: &Texts) -> String {
    format!("{} {} {}", at.day(), texts.months[at.month0() as usize], at.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(outcome: Outcome, learner: &str) -> String {
        let details = Details {
            learner: Some(learner.to_owned()),
            course: Some("Rust & \"Safety\"".to_owned()),
            issuer_url: Some("javascript:alert(1)".to_owned()),
            ..Details::default()
        };
        let checks = CheckResults { signature: true, not_revoked: true, not_suspended: true, not_expired: true };
        page(&PageView {
            language: Language::English,
            outcome,
            checks: Some(checks),
            details: Some(details),
            certificate_id: "urn:uuid:1",
            page_url: "https://certificates.example/certificate/urn:uuid:1/verify",
            indexable: false,
        })
    }

    #[test]
    fn every_text_is_escaped_and_only_web_links_are_links() {
        let html = view(Outcome::Valid, "<script>alert(1)</script>");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("Rust &amp; &quot;Safety&quot;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn only_a_valid_certificate_is_offered_for_sharing() {
        assert!(view(Outcome::Valid, "Ann").contains("linkedin.com/profile/add"));
        for outcome in [Outcome::Revoked(None), Outcome::Suspended(None), Outcome::Expired(None), Outcome::Invalid] {
            let html = view(outcome, "Ann");
            assert!(!html.contains("linkedin.com") && !html.contains("<script>"), "{outcome:?}: {html}");
        }
    }

    #[test]
    fn the_policy_allows_exactly_the_page_s_own_style_and_script() {
        let policy = CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()));
        assert!(policy.contains(&hash(STYLE)) && policy.contains(&hash(SCRIPT)), "{policy}");
        let html = view(Outcome::Valid, "Ann");
        assert!(
            html.contains(&format!("<style>{STYLE}</style>")) && html.contains(&format!("<script>{SCRIPT}</script>"))
        );
    }
}
