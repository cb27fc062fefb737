//! Keeping the templates and schemas certificates are rendered through:
//! Sunbird RC's credential-schema service, or this service's own store.

use std::sync::Arc;

use crate::ports::{
    Clock, CredentialDesign, HtmlRenderer, Randomness, SchemaServiceAnswer, StoredSchema, StoredTemplate,
    TemplateError, TemplateStore, TemplateStoreError, UpstreamError, SCHEMA_VERSION, TEMPLATE_KIND,
};

/// Where templates and schemas are kept.
pub enum TemplateRegistry {
    /// Sunbird RC's credential-schema service; its answers are passed through.
    Upstream(Arc<dyn CredentialDesign>),
    /// This service's own store; a template must compile to be stored.
    Local {
        store: Arc<dyn TemplateStore>,
        renderer: Arc<dyn HtmlRenderer>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Randomness>,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DesignError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Store(#[from] TemplateStoreError),
}

pub struct ManageTemplates {
    keeper: TemplateRegistry,
}

impl ManageTemplates {
    pub fn new(keeper: TemplateRegistry) -> Self {
        Self { keeper }
    }

    /// Stores a template; the answer is the stored template as JSON (the
    /// credential-schema service's own answer with Sunbird RC).
    pub async fn add_template(&self, schema_id: &str, template: &str) -> Result<SchemaServiceAnswer, DesignError> {
        match &self.keeper {
            TemplateRegistry::Upstream(rc) => Ok(rc.add_template(schema_id, template).await?),
            TemplateRegistry::Local { store, renderer, clock, ids } => {
                renderer.check(template)?;
                let stored = StoredTemplate {
                    id: ids.new_id(),
                    schema_id: schema_id.to_owned(),
                    schema_version: SCHEMA_VERSION.to_owned(),
                    template: template.into(),
                    kind: TEMPLATE_KIND.to_owned(),
                    created_at: clock.now(),
                };
                store.add_template(&stored).await?;
                Ok(template_answer(&stored))
            }
        }
    }

    /// Stores a schema (JSON text, kept as sent).
    pub async fn add_schema(&self, schema: &str) -> Result<SchemaServiceAnswer, DesignError> {
        match &self.keeper {
            TemplateRegistry::Upstream(rc) => Ok(rc.add_schema(schema).await?),
            TemplateRegistry::Local { store, clock, ids, .. } => {
                let stored = StoredSchema { id: ids.new_id(), schema: schema.into(), created_at: clock.now() };
                store.add_schema(&stored).await?;
                Ok(schema_answer(&stored))
            }
        }
    }
}

/// The names Sunbird RC's credential-schema service gives a template's fields.
pub fn template_answer(template: &StoredTemplate) -> SchemaServiceAnswer {
    serde_json::json!({
        "templateId": template.id,
        "schemaId": template.schema_id,
        "schemaVersion": template.schema_version,
        "template": &*template.template,
        "type": template.kind,
        "createdAt": template.created_at,
    })
    .to_string()
    .into()
}

pub fn schema_answer(schema: &StoredSchema) -> SchemaServiceAnswer {
    let body: serde_json::Value = serde_json::from_str(&schema.schema).unwrap_or(serde_json::Value::Null);
    serde_json::json!({ "id": schema.id, "schema": body, "createdAt": schema.created_at }).to_string().into()
}
