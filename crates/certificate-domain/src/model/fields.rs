//! The one field checker: a request's fields checked one rule at a time,
//! every failure collected and reported at once, each naming its field (the
//! NestJS service's class-validator behaviour, with clearer messages). The
//! issue request's rules ([`super::IssueRequest::parse`]) and every other
//! body and path the service reads are checked with it.

use chrono::Datelike;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::request::SentDate;

/// A request's fields as they arrived, by their contract names (`userId`,
/// ...), each of any JSON type, so that each rule can name the field it
/// rejects and the type it wanted. Fields no rule asks for are ignored.
pub type RequestFields = serde_json::Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.summary())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// One line naming every rejected field, in the NestJS service's style
    /// (`"userId - must be a UUID"`).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{} - {}", e.field, e.message)).collect();
        parts.join("; ")
    }
}

const REQUIRED: &str = "is required";
pub(crate) const NOT_A_STRING: &str = "must be a string";
const EMPTY: &str = "must not be empty";
const NOT_A_UUID: &str = "must be a UUID";
const NOT_A_DATE: &str = "must be an ISO 8601 date or date-time";
pub(crate) const DATE_OUT_OF_RANGE: &str =
    "must fall between the years 0000 and 9999 in UTC (a credential's dates are RFC 3339 date-times)";
pub(crate) const BEFORE_ISSUANCE: &str =
    "must not be before issuanceDate (a credential's validUntil may not precede its validFrom)";
pub(crate) const NOT_A_BOOLEAN: &str = "must be a boolean";
const NOT_AN_OBJECT: &str = "must be a JSON object";
pub(crate) const CONTROL_CHARACTER: &str = "must not contain control characters";

/// The most characters a text field may have: every accepted value must fit
/// the table, the credential and the event, and print.
#[derive(Clone, Copy)]
pub struct Limit {
    pub(crate) chars: usize,
    pub(crate) message: &'static str,
}

/// Ids (a user's, a course's, a certificate's, a template's) and short texts.
pub const ID: Limit = Limit { chars: 255, message: "must be at most 255 characters" };
/// Names (the learner's, the course's).
pub const NAME: Limit = Limit { chars: 1024, message: "must be at most 1024 characters" };
/// An operator's reason for a change of standing.
pub const REASON: Limit = Limit { chars: 500, message: "must be at most 500 characters" };

/// Takes each field once, by its rule; [`Fields::done`] answers the value
/// only if no rule failed.
pub struct Fields {
    fields: RequestFields,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new(fields: RequestFields) -> Self {
        Self { fields, errors: Vec::new() }
    }

    /// Records that `field` broke a rule; for rules across fields, after
    /// each was read.
    pub(crate) fn fail<T>(&mut self, field: &'static str, message: &'static str) -> Option<T> {
        self.errors.push(FieldError { field, message });
        None
    }

    /// A string that is storable and printable: no control character (a NUL
    /// would not even reach the database), at most `limit` characters.
    pub fn optional_text(&mut self, field: &'static str, limit: Limit) -> Option<Option<String>> {
        match self.fields.remove(field) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.chars().any(char::is_control) => self.fail(field, CONTROL_CHARACTER),
            Some(Value::String(s)) if s.chars().count() > limit.chars => self.fail(field, limit.message),
            Some(Value::String(s)) => Some(Some(s)),
            Some(_) => self.fail(field, NOT_A_STRING),
        }
    }

    pub fn text(&mut self, field: &'static str, limit: Limit) -> Option<String> {
        match self.optional_text(field, limit)? {
            Some(s) => Some(s),
            None => self.fail(field, REQUIRED),
        }
    }

    /// A text with something in it besides white space.
    pub fn non_empty(&mut self, field: &'static str, limit: Limit) -> Option<String> {
        let s = self.text(field, limit)?;
        if is_blank(&s) {
            return self.fail(field, EMPTY);
        }
        Some(s)
    }

    /// An id: a non-empty text of at most 255 characters.
    pub fn id(&mut self, field: &'static str) -> Option<String> {
        self.non_empty(field, ID)
    }

    /// An id, if one was sent.
    pub fn optional_id(&mut self, field: &'static str) -> Option<Option<String>> {
        match self.optional_text(field, ID)? {
            Some(s) if is_blank(&s) => self.fail(field, EMPTY),
            sent => Some(sent),
        }
    }

    pub fn uuid(&mut self, field: &'static str) -> Option<Uuid> {
        let s = self.text(field, ID)?;
        match Uuid::try_parse(&s) {
            Ok(id) => Some(id),
            Err(_) => self.fail(field, NOT_A_UUID),
        }
    }

    pub fn date(&mut self, field: &'static str) -> Option<SentDate> {
        let s = self.text(field, ID)?;
        match SentDate::parse(s) {
            Some(date) if (0..=9999).contains(&date.at().year()) => Some(date),
            Some(_) => self.fail(field, DATE_OUT_OF_RANGE),
            None => self.fail(field, NOT_A_DATE),
        }
    }

    /// A boolean; absent or null is `false`.
    pub fn flag(&mut self, field: &'static str) -> Option<bool> {
        match self.fields.remove(field) {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(b),
            Some(_) => self.fail(field, NOT_A_BOOLEAN),
        }
    }

    /// A document's text (a template): not blank, any characters, as long
    /// as the body that carries it may be.
    pub fn document(&mut self, field: &'static str) -> Option<String> {
        match self.fields.remove(field) {
            Some(Value::String(s)) if is_blank(&s) => self.fail(field, EMPTY),
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => self.fail(field, REQUIRED),
            Some(_) => self.fail(field, NOT_A_STRING),
        }
    }

    /// A JSON object, as JSON text.
    pub fn object(&mut self, field: &'static str) -> Option<String> {
        match self.fields.remove(field) {
            Some(object @ Value::Object(_)) => Some(object.to_string()),
            None | Some(Value::Null) => self.fail(field, REQUIRED),
            Some(_) => self.fail(field, NOT_AN_OBJECT),
        }
    }

    /// `value`, if every rule asked passed; otherwise every failure.
    pub fn done<T>(self, value: Option<T>) -> Result<T, ValidationErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(ValidationErrors(self.errors)),
        }
    }
}

/// Blank as ECMAScript's `\s` counts it (the OpenAPI document's patterns, so
/// that the service and its document agree): Unicode's white space but
/// U+0085 (a control character), and U+FEFF.
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
}

/// An id taken from a path (a course id, a certificate id) obeys the rules of
/// the request's ids: not empty, printable, at most 255 characters.
pub fn check_id(field: &'static str, value: &str) -> Result<String, ValidationErrors> {
    let mut fields = Fields::new(RequestFields::from_iter([(field.to_owned(), Value::String(value.to_owned()))]));
    let id = fields.non_empty(field, ID);
    fields.done(id)
}

/// The reason an operator gives for revoking or suspending a certificate
/// (it goes into the event and the record): required, not blank, printable
/// (no control character, no line break), at most 500 characters.
pub fn check_reason(fields: RequestFields) -> Result<String, ValidationErrors> {
    let mut fields = Fields::new(fields);
    let reason = fields.non_empty("reason", REASON);
    fields.done(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        Fields::new(serde_json::from_value(value).unwrap())
    }

    #[test]
    fn blank_is_what_the_openapi_patterns_call_blank() {
        for blank in [" ", "\t\n", "\u{3000}", "\u{feff}", "\u{a0}\u{2028}"] {
            let mut check = fields(json!({ "template": blank }));
            let template = check.document("template");
            assert_eq!(check.done(template).unwrap_err().0[0].message, EMPTY, "{blank:?}");
        }
        let mut check = fields(json!({ "template": "\u{85}" }));
        let template = check.document("template");
        assert_eq!(check.done(template).unwrap(), "\u{85}", "U+0085 is no white space to ECMAScript");
        assert_eq!(check_id("courseId", "\u{feff}").unwrap_err().0[0].message, EMPTY);
    }

    #[test]
    fn each_kind_names_what_it_wanted() {
        let mut check = fields(json!({ "schema": "x", "templateId": 3, "credentialId": "" }));
        let (schema, template) = (check.object("schema"), check.optional_id("templateId"));
        let (credential, missing) = (check.optional_id("credentialId"), check.uuid("userId"));
        assert!(schema.is_none() && template.is_none() && credential.is_none() && missing.is_none());
        let messages: Vec<_> = check.done(Some(())).unwrap_err().0.into_iter().map(|e| (e.field, e.message)).collect();
        assert_eq!(
            messages,
            [("schema", NOT_AN_OBJECT), ("templateId", NOT_A_STRING), ("credentialId", EMPTY), ("userId", REQUIRED)]
        );
    }
}
