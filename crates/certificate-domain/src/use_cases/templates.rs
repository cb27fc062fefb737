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

/// What storing a template or a schema made.
#[derive(Debug, Clone)]
pub enum Designed {
    /// The credential-schema service's own answer, passed on as it came.
    Answered(SchemaServiceAnswer),
    Template(StoredTemplate),
    Schema(StoredSchema),
}

pub struct ManageTemplates {
    keeper: TemplateRegistry,
}

impl ManageTemplates {
    pub fn new(keeper: TemplateRegistry) -> Self {
        Self { keeper }
    }

    /// Stores a template: the stored template, or the credential-schema
    /// service's answer with Sunbird RC.
    pub async fn add_template(&self, schema_id: &str, template: &str) -> Result<Designed, DesignError> {
        match &self.keeper {
            TemplateRegistry::Upstream(rc) => Ok(Designed::Answered(rc.add_template(schema_id, template).await?)),
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
                Ok(Designed::Template(stored))
            }
        }
    }

    /// Stores a schema (JSON text, kept as sent).
    pub async fn add_schema(&self, schema: &str) -> Result<Designed, DesignError> {
        match &self.keeper {
            TemplateRegistry::Upstream(rc) => Ok(Designed::Answered(rc.add_schema(schema).await?)),
            TemplateRegistry::Local { store, clock, ids, .. } => {
                let stored = StoredSchema { id: ids.new_id(), schema: schema.into(), created_at: clock.now() };
                store.add_schema(&stored).await?;
                Ok(Designed::Schema(stored))
            }
        }
    }
}
