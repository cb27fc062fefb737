//! Validation of the issue request, field by field, with every failure reported
//! at once (the NestJS service's class-validator behaviour, with clearer messages).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::fields::{Fields, RequestFields, ValidationErrors, BEFORE_ISSUANCE, ID, NAME};

/// A request that passed every rule of the contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueRequest {
    user_id: Uuid,
    course_id: String,
    course_name: String,
    first_name: String,
    middle_name: Option<String>,
    last_name: String,
    issuance_date: SentDate,
    expiration_date: SentDate,
    issued_on: Option<String>,
    /// A deliberate re-issue: a new credential even when one was issued before.
    reissue: bool,
}

/// Read-only: every field passed its rule in [`IssueRequest::parse`], the
/// only way to build one.
impl IssueRequest {
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }
    pub fn course_id(&self) -> &str {
        &self.course_id
    }
    pub fn course_name(&self) -> &str {
        &self.course_name
    }
    pub fn first_name(&self) -> &str {
        &self.first_name
    }
    pub fn middle_name(&self) -> Option<&str> {
        self.middle_name.as_deref()
    }
    pub fn last_name(&self) -> &str {
        &self.last_name
    }
    /// As sent: it is echoed to the credential service and the event.
    pub fn issuance_date(&self) -> &str {
        self.issuance_date.as_sent()
    }
    /// The instant `issuance_date` names, stored as the row's `issuedOn`.
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issuance_date.at()
    }
    pub fn expiration_date(&self) -> &str {
        self.expiration_date.as_sent()
    }
    /// The instant `expiration_date` names: the credential's end of validity.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expiration_date.at()
    }
    /// The text the certificate shows for its date, if the caller chose one.
    pub fn issued_on(&self) -> Option<&str> {
        self.issued_on.as_deref()
    }
    /// A deliberate re-issue: a new credential even when one was issued before.
    pub fn reissue(&self) -> bool {
        self.reissue
    }
}

/// A date that passed [`parse_iso8601`]: the text exactly as sent (it is
/// echoed to the credential service and the event, and it is what a
/// fingerprint compares), and the instant it names, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentDate {
    sent: String,
    at: DateTime<Utc>,
}

impl SentDate {
    pub fn parse(sent: String) -> Option<Self> {
        let at = parse_iso8601(&sent)?;
        Some(Self { sent, at })
    }

    pub fn as_sent(&self) -> &str {
        &self.sent
    }

    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

impl Serialize for SentDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.sent)
    }
}

/// Parses an ISO 8601 date (`2025-10-13`) or date-time, with or without an
/// offset; a date-time without one is taken as UTC.
pub fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(dt.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

impl IssueRequest {
    /// Checks every rule of the contract and reports every failure at once.
    pub fn parse(fields: RequestFields) -> Result<Self, ValidationErrors> {
        let mut check = Fields::new(fields);
        let user_id = check.uuid("userId");
        let course_id = check.non_empty("courseId", ID);
        let course_name = check.non_empty("courseName", NAME);
        let first_name = check.text("firstName", NAME);
        let middle_name = check.optional_text("middleName", NAME);
        let last_name = check.text("lastName", NAME);
        let issuance_date = check.date("issuanceDate");
        let expiration_date = match (&issuance_date, check.date("expirationDate")) {
            (Some(issued), Some(expires)) if expires.at() < issued.at() => {
                check.fail("expirationDate", BEFORE_ISSUANCE)
            }
            (_, expires) => expires,
        };
        let issued_on = check.optional_text("issuedOn", ID);
        let reissue = check.flag("reissue");
        // Every field was checked above (so that all failures are reported);
        // the request exists only if none failed.
        let request = || {
            Some(Self {
                user_id: user_id?,
                course_id: course_id?,
                course_name: course_name?,
                first_name: first_name?,
                middle_name: middle_name?,
                last_name: last_name?,
                issuance_date: issuance_date?,
                expiration_date: expiration_date?,
                issued_on: issued_on?,
                reissue: reissue?,
            })
        };
        check.done(request())
    }

    /// What identifies "the same request" for an `Idempotency-Key`: every field
    /// that changes what is issued, as canonical JSON.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).expect("a plain struct always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::{FieldError, CONTROL_CHARACTER, DATE_OUT_OF_RANGE, NOT_A_BOOLEAN, NOT_A_STRING};
    use serde_json::{json, Value};

    fn raw(value: Value) -> RequestFields {
        serde_json::from_value(value).unwrap()
    }

    fn valid() -> Value {
        json!({
            "userId": "af771398-bc1a-4350-b849-907561d25957",
            "courseId": "do_1", "courseName": "Intro", "firstName": "John",
            "lastName": "Doe", "issuanceDate": "2025-10-13T00:00:00.000Z",
            "expirationDate": "2026-10-13"
        })
    }

    fn errors_for(patch: Value) -> Vec<FieldError> {
        let mut body = valid();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        IssueRequest::parse(raw(body)).err().map(|errors| errors.0).unwrap_or_default()
    }

    #[test]
    fn a_valid_request_parses_with_defaults() {
        let request = IssueRequest::parse(raw(valid())).unwrap();
        assert_eq!(request.course_id, "do_1");
        assert_eq!(request.middle_name, None);
        assert!(!request.reissue);
        assert_eq!(request.issued_at().to_rfc3339(), "2025-10-13T00:00:00+00:00");
        assert_eq!(request.expires_at().to_rfc3339(), "2026-10-13T00:00:00+00:00");
        let fingerprint: Value = serde_json::from_str(&request.fingerprint()).unwrap();
        assert_eq!(fingerprint["issuanceDate"], "2025-10-13T00:00:00.000Z", "the dates as sent");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = IssueRequest::parse(raw(json!({"userId": "nope", "courseId": ""}))).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["userId", "courseId", "courseName", "firstName", "lastName", "issuanceDate", "expirationDate"]
        );
        assert!(errors.summary().starts_with("userId - must be a UUID; courseId - must not be empty"));
    }

    #[test]
    fn wrong_types_are_named() {
        let errors = errors_for(json!({"firstName": 3, "middleName": [], "issuedOn": false, "reissue": "yes"}));
        assert_eq!(
            errors,
            [
                FieldError { field: "firstName", message: NOT_A_STRING },
                FieldError { field: "middleName", message: NOT_A_STRING },
                FieldError { field: "issuedOn", message: NOT_A_STRING },
                FieldError { field: "reissue", message: NOT_A_BOOLEAN },
            ]
        );
    }

    #[test]
    fn every_text_field_refuses_control_characters_and_overlong_values() {
        for field in ["courseId", "courseName", "firstName", "middleName", "lastName", "issuedOn"] {
            let errors = errors_for(json!({ field: "a\u{0}b" }));
            assert_eq!((errors.len(), errors[0].field, errors[0].message), (1, field, CONTROL_CHARACTER));
            let errors = errors_for(json!({ field: "line\nbreak" }));
            assert_eq!(errors[0].message, CONTROL_CHARACTER, "{field}");
        }
        for (field, limit) in [("courseId", ID), ("issuedOn", ID), ("courseName", NAME), ("firstName", NAME)] {
            assert!(errors_for(json!({ field: "é".repeat(limit.chars) })).is_empty(), "{field} at its limit");
            let errors = errors_for(json!({ field: "é".repeat(limit.chars + 1) }));
            assert_eq!(errors[0].message, limit.message, "{field}");
        }
        assert_eq!(errors_for(json!({"userId": "\u{0}"}))[0].message, CONTROL_CHARACTER);
    }

    #[test]
    fn dates_a_credential_cannot_carry_are_refused() {
        let too_late = FieldError { field: "expirationDate", message: DATE_OUT_OF_RANGE };
        assert_eq!(errors_for(json!({"expirationDate": "+10000-01-01"})), std::slice::from_ref(&too_late));
        assert_eq!(
            errors_for(json!({"expirationDate": "9999-12-31T23:00:00-05:00"})),
            [too_late],
            "in UTC, year 10000"
        );
        let too_early = FieldError { field: "issuanceDate", message: DATE_OUT_OF_RANGE };
        assert_eq!(errors_for(json!({"issuanceDate": "-0001-01-01"})), [too_early]);
        assert!(errors_for(json!({"issuanceDate": "0000-01-01", "expirationDate": "9999-12-31T23:59:59Z"})).is_empty());
    }

    #[test]
    fn an_expiration_before_the_issuance_is_refused_the_same_instant_is_not() {
        let before =
            errors_for(json!({"issuanceDate": "2025-10-13T10:00:00+02:00", "expirationDate": "2025-10-13T07:59:59Z"}));
        assert_eq!(before, [FieldError { field: "expirationDate", message: BEFORE_ISSUANCE }]);
        assert!(errors_for(
            json!({"issuanceDate": "2025-10-13T10:00:00+02:00", "expirationDate": "2025-10-13T08:00:00Z"})
        )
        .is_empty());
    }

    #[test]
    fn dates_accept_the_iso_forms_and_reject_others() {
        for ok in ["2025-10-13", "2025-10-13T10:30:00Z", "2025-10-13T10:30:00.5+05:30", "2025-10-13T10:30:00"] {
            assert!(parse_iso8601(ok).is_some(), "{ok}");
        }
        for bad in ["13/10/2025", "2025-13-01", "yesterday", ""] {
            assert!(parse_iso8601(bad).is_none(), "{bad}");
        }
    }
}
