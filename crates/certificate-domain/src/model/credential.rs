//! A credential as its issuer answered it, what the domain reads from it,
//! and the credential as this service recorded it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::parse_iso8601;

/// A credential as its issuer answered it (the issue answer of
/// docs/contract.md, `{"credential": <a W3C verifiable credential>}`), and
/// what the domain reads from it. The answer is kept as the issuer's JSON
/// text, never re-serialised, since a proof covers its bytes: it is what is
/// recorded and what the caller gets back.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredential {
    answer: Arc<str>,
    /// The credential's id, which is the certificate id.
    pub certificate_id: String,
    /// The issuer's id (its DID): `issuer`, or `issuer.id`.
    pub issuer: Option<String>,
    /// The issuer's name, when the credential gives one (an Open Badge's
    /// `Profile`: `issuer.name`).
    pub issuer_name: Option<String>,
    /// The issuer's site (an Open Badge's `Profile`: `issuer.url`).
    pub issuer_url: Option<String>,
    pub subject: Subject,
    /// VC 2.0 `validFrom`, or VC 1.1 `issuanceDate`.
    pub valid_from: Option<DateTime<Utc>>,
    /// VC 2.0 `validUntil`, or VC 1.1 `expirationDate`.
    pub valid_until: Option<DateTime<Utc>>,
    /// `credentialStatus`, one entry or several.
    pub status: Vec<StatusEntry>,
}

/// The course certificate's subject, as the credential request of
/// docs/contract.md fills it, read from either shape the service knows: the
/// request's fields by their own names (Sunbird RC's credential, the
/// built-in `CourseCertificate`), or an Open Badge's terms (the learner's
/// `IdentityObject`s, the achievement's name and `sourcedId`); what a
/// credential lacks is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    pub id: Option<String>,
    pub user_id: Option<String>,
    pub course_id: Option<String>,
    pub course_name: Option<String>,
    /// An Open Badge's achievement `description` and `criteria.narrative`.
    pub course_description: Option<String>,
    pub course_criteria: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub issued_on: Option<String>,
}

/// One `credentialStatus` entry (a status list's, say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusEntry {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub purpose: Option<String>,
    pub list_index: Option<String>,
    pub list_credential: Option<String>,
}

/// Why an issuer's answer is not a credential this service can record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("expected a string at credential.id")]
    NoId,
}

impl IssuedCredential {
    /// Reads an issue answer from its JSON text.
    pub fn read(answer: impl Into<Arc<str>>) -> Result<Self, CredentialError> {
        let answer: Arc<str> = answer.into();
        let parsed: Value = serde_json::from_str(&answer).map_err(|e| CredentialError::NotJson(e.to_string()))?;
        let credential = &parsed["credential"];
        let text = |value: &Value| value.as_str().map(str::to_owned);
        let certificate_id = text(&credential["id"]).ok_or(CredentialError::NoId)?;
        let date = |names: [&str; 2]| names.iter().find_map(|name| credential[*name].as_str().and_then(parse_iso8601));
        let subject = &credential["credentialSubject"];
        let status = match &credential["credentialStatus"] {
            Value::Array(entries) => entries.iter().map(status_entry).collect(),
            Value::Object(_) => vec![status_entry(&credential["credentialStatus"])],
            _ => Vec::new(),
        };
        Ok(Self {
            certificate_id,
            issuer: text(&credential["issuer"]).or_else(|| text(&credential["issuer"]["id"])),
            issuer_name: text(&credential["issuer"]["name"]),
            issuer_url: text(&credential["issuer"]["url"]),
            subject: Subject::read(subject),
            valid_from: date(["validFrom", "issuanceDate"]),
            valid_until: date(["validUntil", "expirationDate"]),
            status,
            answer,
        })
    }

    /// The answer as the issuer sent it.
    pub fn answer(&self) -> &str {
        &self.answer
    }

    /// The answer as JSON, for whoever reads more of it than the fields above.
    pub fn answer_json(&self) -> Value {
        serde_json::from_str(&self.answer).expect("read() parsed this text")
    }
}

impl Subject {
    fn read(subject: &Value) -> Self {
        let text = |value: &Value| value.as_str().map(str::to_owned);
        let badge = OpenBadgeSubject(subject);
        let named = |name: &str, kind: &str| text(&subject[name]).or_else(|| badge.identity(kind));
        Self {
            id: text(&subject["id"]),
            user_id: named("userId", "sourcedId"),
            course_id: text(&subject["courseId"]).or_else(|| badge.course_id()),
            course_name: text(&subject["courseName"]).or_else(|| text(&subject["achievement"]["name"])),
            course_description: text(&subject["achievement"]["description"]),
            course_criteria: text(&subject["achievement"]["criteria"]["narrative"]),
            first_name: named("firstName", "ext:givenName"),
            middle_name: named("middleName", "ext:additionalName"),
            last_name: named("lastName", "ext:familyName"),
            issued_on: text(&subject["issuedOn"]),
        }
    }
}

/// An Open Badge's `AchievementSubject`, as the built-in issuer fills it.
struct OpenBadgeSubject<'a>(&'a Value);

impl OpenBadgeSubject<'_> {
    /// The plain value of the learner's `IdentityObject` of `kind`.
    fn identity(&self, kind: &str) -> Option<String> {
        let identities = self.0["identifier"].as_array()?;
        let found =
            identities.iter().find(|identity| identity["identityType"] == kind && identity["hashed"] == false)?;
        found["identityHash"].as_str().map(str::to_owned)
    }

    /// The achievement's `sourcedId`: the course's id.
    fn course_id(&self) -> Option<String> {
        let entries = self.0["achievement"]["otherIdentifier"].as_array()?;
        let found = entries.iter().find(|entry| entry["identifierType"] == "sourcedId")?;
        found["identifier"].as_str().map(str::to_owned)
    }
}

fn status_entry(entry: &Value) -> StatusEntry {
    let text = |name: &str| entry[name].as_str().map(str::to_owned);
    StatusEntry {
        id: text("id"),
        kind: text("type"),
        purpose: text("statusPurpose"),
        list_index: text("statusListIndex"),
        list_credential: text("statusListCredential"),
    }
}

/// A credential as this service recorded it, and its standing: revoked (a
/// re-issue superseded it, or an operator revoked it) or suspended.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCredential {
    pub credential: IssuedCredential,
    pub revoked: bool,
    pub suspended: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vc_2_answer_is_read_and_its_text_kept_byte_for_byte() {
        let answer = r#"{ "credential" : {"validUntil":"2099-01-01T00:00:00Z", "id": "urn:uuid:1",
            "issuer": "did:key:z6Mk", "validFrom": "2025-10-13T00:00:00Z",
            "credentialSubject": {"id": "urn:uuid:learner", "firstName": "Ada", "lastName": "Lovelace",
                "courseId": "do_1", "courseName": "Intro", "issuedOn": "May 2026"},
            "credentialStatus": {"id": "https://x/status/1#7", "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation", "statusListIndex": "7", "statusListCredential": "https://x/status/1"}}}"#;
        let credential = IssuedCredential::read(answer).unwrap();
        assert_eq!(credential.answer(), answer, "never re-serialised");
        assert_eq!(credential.certificate_id, "urn:uuid:1");
        assert_eq!(credential.issuer.as_deref(), Some("did:key:z6Mk"));
        assert_eq!(credential.issuer_name, None, "an issuer given by its id alone");
        assert_eq!(credential.subject.first_name.as_deref(), Some("Ada"));
        assert_eq!(credential.subject.course_name.as_deref(), Some("Intro"));
        assert_eq!(credential.subject.middle_name, None);
        assert_eq!(credential.valid_from, parse_iso8601("2025-10-13T00:00:00Z"));
        assert_eq!(credential.valid_until, parse_iso8601("2099-01-01T00:00:00Z"));
        assert_eq!(credential.status.len(), 1);
        assert_eq!(credential.status[0].purpose.as_deref(), Some("revocation"));
        assert_eq!(credential.status[0].list_index.as_deref(), Some("7"));
    }

    #[test]
    fn a_vc_1_1_answer_gives_its_dates_and_an_issuer_object_its_id_and_name() {
        let answer = r#"{"credential": {"id": "did:upai:cert1", "issuer": {"id": "did:upai:issuer", "name": "Example"},
            "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2026-10-13T00:00:00.000Z",
            "credentialStatus": [{"type": "A"}, {"type": "B"}]}}"#;
        let credential = IssuedCredential::read(answer).unwrap();
        assert_eq!(credential.issuer.as_deref(), Some("did:upai:issuer"));
        assert_eq!(credential.issuer_name.as_deref(), Some("Example"));
        assert_eq!(credential.valid_from, parse_iso8601("2025-10-13T00:00:00.000Z"));
        assert_eq!(credential.valid_until, parse_iso8601("2026-10-13T00:00:00.000Z"));
        let kinds: Vec<_> = credential.status.iter().map(|entry| entry.kind.as_deref()).collect();
        assert_eq!(kinds, [Some("A"), Some("B")]);
    }

    #[test]
    fn an_answer_without_a_credential_id_or_not_json_is_refused() {
        assert_eq!(IssuedCredential::read(r#"{"credential": {}}"#), Err(CredentialError::NoId));
        assert!(matches!(IssuedCredential::read("<html>"), Err(CredentialError::NotJson(_))));
    }
}
