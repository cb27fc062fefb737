//! The page a printed certificate's QR code opens: the verify route
//! (`GET /certificate/{certificateId}/verify`) answers a browser (an
//! `Accept` that prefers `text/html`) with a page for people, and anything
//! else with its JSON, as before. The page says the verdict in the reader's
//! language (`Accept-Language`: English or Hindi), the checks behind it,
//! what the certificate says (the learner's name unless
//! `VERIFY_PAGE_SHOWS_NAME=false`), and offers LinkedIn's add-to-profile
//! link and the page's own link; it is `noindex` unless
//! `VERIFY_PAGE_INDEXABLE=true`, and its `Content-Security-Policy` lets it
//! load nothing from anywhere.

mod html;
mod texts;

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use certificate_domain::ports::PublicLinks;
use certificate_domain::{Examined, IssuedCredential, Standing, VerdictStatus, VerifyError};

use crate::{ApiError, AppState};
use html::{CheckResults, Details, Outcome, PageView};
use texts::Language;

/// The operator's choices for the page, and where it lives.
#[derive(Clone)]
pub struct VerifyPage {
    pub links: Arc<dyn PublicLinks>,
    /// `VERIFY_PAGE_SHOWS_NAME` (default `true`).
    pub shows_name: bool,
    /// `VERIFY_PAGE_INDEXABLE` (default `false`: `noindex`).
    pub indexable: bool,
}

/// Whether `request` asks for the page rather than JSON.
pub(crate) fn wanted(request: &HttpRequest) -> bool {
    prefers_html(request.headers().get(header::ACCEPT).and_then(|value| value.to_str().ok()))
}

/// A browser's `Accept` names `text/html` before (or above) anything JSON;
/// curl's `*/*` and an API client's `application/json` do not.
fn prefers_html(accept: Option<&str>) -> bool {
    let mut html: Option<(f32, usize)> = None;
    let mut json: Option<(f32, usize)> = None;
    for (position, (media, quality)) in ranked(accept).enumerate() {
        let slot = match media.as_str() {
            "text/html" | "application/xhtml+xml" => &mut html,
            "application/json" => &mut json,
            _ => continue,
        };
        if slot.is_none_or(|(ranked, _)| quality > ranked) {
            *slot = Some((quality, position));
        }
    }
    match (html, json) {
        (Some((html, _)), _) if html <= 0.0 => false,
        (Some(_), None) => true,
        (Some((html, first)), Some((json, other))) => html > json || (html == json && first < other),
        (None, _) => false,
    }
}

/// The items of an `Accept`-style header (`text/html;q=0.9, */*`), each
/// lowercased with its quality (1 when none is given), in the order sent.
pub(crate) fn ranked(header: Option<&str>) -> impl Iterator<Item = (String, f32)> + '_ {
    header.unwrap_or_default().split(',').map(|item| {
        let mut parts = item.split(';');
        let value = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .find_map(|parameter| parameter.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
            .unwrap_or(1.0);
        (value, quality)
    })
}

/// The page for `certificate_id`, with the status the JSON answer would have.
pub(crate) async fn answer(request: &HttpRequest, state: &AppState, certificate_id: &str) -> HttpResponse {
    let language =
        Language::chosen(request.headers().get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()));
    let settings = &state.verify_page;
    let page_url = settings.links.verification(certificate_id);
    let (status, outcome, checks, details) = match state.read.examine(certificate_id).await {
        Ok(examined) => {
            let (outcome, checks) = judged(&examined);
            (
                StatusCode::OK,
                outcome,
                Some(checks),
                examined.credential.as_ref().map(|c| details(c, settings.shows_name)),
            )
        }
        Err(VerifyError::NotFound) => (StatusCode::NOT_FOUND, Outcome::NotFound, None, None),
        Err(error) => (ApiError::from(error).status_code(), Outcome::Unavailable, None, None),
    };
    let view = PageView {
        language,
        outcome,
        checks,
        details,
        certificate_id,
        page_url: &page_url,
        indexable: settings.indexable,
    };
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, html::CONTENT_SECURITY_POLICY.as_str()))
        .insert_header((header::CONTENT_LANGUAGE, language.tag()))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if !settings.indexable {
        response.insert_header(("X-Robots-Tag", "noindex, nofollow"));
    }
    response.body(html::page(&view))
}

/// Both answers of the verify route vary with these.
pub(crate) fn vary(response: &mut HttpResponse) {
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept, Accept-Language"));
}

fn judged(examined: &Examined) -> (Outcome, CheckResults) {
    let verdict = &examined.verdict;
    let standing_since = examined.standing.changed_at;
    let outcome = match &verdict.status {
        VerdictStatus::Issued => Outcome::Valid,
        VerdictStatus::Revoked => {
            Outcome::Revoked(standing_since.filter(|_| examined.standing.standing == Standing::Revoked))
        }
        VerdictStatus::Suspended => Outcome::Suspended(standing_since),
        VerdictStatus::Expired => Outcome::Expired(examined.credential.as_ref().and_then(|c| c.valid_until)),
        VerdictStatus::Invalid => Outcome::Invalid,
        VerdictStatus::Other(_) => Outcome::Unavailable,
    };
    let checks = CheckResults {
        signature: verdict.checks.proof,
        not_revoked: verdict.checks.not_revoked,
        not_suspended: verdict.status != VerdictStatus::Suspended,
        not_expired: verdict.checks.not_expired,
    };
    (outcome, checks)
}

fn details(credential: &IssuedCredential, shows_name: bool) -> Details {
    let subject = &credential.subject;
    let names = [&subject.first_name, &subject.middle_name, &subject.last_name];
    let learner = names.into_iter().flatten().filter(|name| !name.trim().is_empty()).cloned().collect::<Vec<_>>();
    Details {
        learner: (shows_name && !learner.is_empty()).then(|| learner.join(" ")),
        course: subject.course_name.clone(),
        description: subject.course_description.clone(),
        criteria: subject.course_criteria.clone(),
        issuer_name: credential.issuer_name.clone(),
        issuer_url: credential.issuer_url.clone(),
        issuer_did: credential.issuer.clone(),
        issued: credential.valid_from,
        valid_until: credential.valid_until,
    }
}

#[cfg(test)]
mod tests {
    use super::prefers_html;

    #[test]
    fn browsers_get_the_page_and_api_clients_json() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(prefers_html(Some(chrome)));
        assert!(prefers_html(Some("text/html")));
        for client in [None, Some("*/*"), Some("application/json"), Some("application/json, text/html")] {
            assert!(!prefers_html(client), "{client:?}");
        }
        assert!(prefers_html(Some("application/json;q=0.5, text/html")));
        assert!(!prefers_html(Some("text/html;q=0")));
    }
}
