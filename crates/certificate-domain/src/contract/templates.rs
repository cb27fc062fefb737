//! The `TemplateStore` contract.

use std::future::Future;

use chrono::{DurationRound, TimeDelta, Utc};
use uuid::Uuid;

use crate::ports::{StoredSchema, StoredTemplate, TemplateStore, SCHEMA_VERSION, TEMPLATE_KIND};

/// A template as the use case makes one, with a time the store can keep to
/// the microsecond (Postgres's precision).
pub fn template(schema_id: &str, body: &str) -> StoredTemplate {
    StoredTemplate {
        id: Uuid::new_v4(),
        schema_id: schema_id.to_owned(),
        schema_version: SCHEMA_VERSION.to_owned(),
        template: body.into(),
        kind: TEMPLATE_KIND.to_owned(),
        created_at: Utc::now().duration_trunc(TimeDelta::microseconds(1)).expect("a time in range"),
    }
}

/// Runs every check of the template store contract on a store from `fresh`:
/// a stored template reads back as stored, byte for byte (a template of
/// every script, of a large size); an unknown id is `None`; templates are
/// kept apart; a schema is kept as sent.
pub async fn check_template_store<S, F, Fut>(fresh: F)
where
    S: TemplateStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = fresh().await;
    assert_eq!(store.template(Uuid::new_v4()).await.unwrap(), None, "an unknown id is not found");
    let first = template("schema-a", "<p>{{firstName}} — अनन्या — \u{1F393}</p>");
    let second = template("schema-a", &format!("<div>{}</div>", "{{courseName}} ".repeat(10_000)));
    store.add_template(&first).await.unwrap();
    store.add_template(&second).await.unwrap();
    assert_eq!(store.template(first.id).await.unwrap().as_ref(), Some(&first), "read back as stored");
    assert_eq!(store.template(second.id).await.unwrap().as_ref(), Some(&second), "a large one too, apart");

    let schema = StoredSchema {
        id: Uuid::new_v4(),
        schema: r#"{"title": "CourseCertificate",  "properties": {}}"#.into(),
        created_at: Utc::now(),
    };
    store.add_schema(&schema).await.expect("a schema is stored");
}
