//! The JSON of what the domain answers as values: a stored template or
//! schema in the names Sunbird RC's credential-schema service gives them, a
//! learner's identity in the identity service's shape, and an upstream's
//! own answer passed on as it came.

use certificate_domain::ports::{GeneratedIdentity, StoredSchema, StoredTemplate};
use certificate_domain::Designed;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{json, Value};

/// What storing a template or schema answers.
pub(crate) fn designed(designed: &Designed) -> Box<RawValue> {
    match designed {
        Designed::Answered(answer) => raw(answer),
        Designed::Template(template) => json_text(&template_json(template)),
        Designed::Schema(schema) => json_text(&schema_json(schema)),
    }
}

/// What `POST /certificate/generateDid` answers: the identity service's
/// answer, or an array of one document with the id, its shape.
pub(crate) fn identity(identity: &GeneratedIdentity) -> Box<RawValue> {
    match identity {
        GeneratedIdentity::Answered(answer) => raw(answer),
        GeneratedIdentity::Named(id) => json_text(&json!([{ "id": id }])),
    }
}

fn template_json(template: &StoredTemplate) -> Value {
    json!({
        "templateId": template.id,
        "schemaId": template.schema_id,
        "schemaVersion": template.schema_version,
        "template": &*template.template,
        "type": template.kind,
        "createdAt": template.created_at,
    })
}

/// The schema as it was sent (JSON text, kept as sent).
fn schema_json(schema: &StoredSchema) -> Value {
    let body: Value = serde_json::from_str(&schema.schema).unwrap_or(Value::Null);
    json!({ "id": schema.id, "schema": body, "createdAt": schema.created_at })
}

/// An upstream's answer, embedded as it came (its adapter checked it is JSON).
fn raw(answer: &str) -> Box<RawValue> {
    RawValue::from_string(answer.to_owned()).expect("the port's answers are JSON")
}

fn json_text(value: &Value) -> Box<RawValue> {
    to_raw_value(value).expect("a JSON value")
}
