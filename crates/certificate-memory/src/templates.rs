//! The embedded default's template store: the templates and schemas of this
//! process, gone with it (as is everything in embedded mode).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{StoredSchema, StoredTemplate, TemplateStore, TemplateStoreError};
use uuid::Uuid;

#[derive(Default)]
pub struct InMemoryTemplates {
    templates: Mutex<HashMap<Uuid, StoredTemplate>>,
    schemas: Mutex<HashMap<Uuid, StoredSchema>>,
}

impl InMemoryTemplates {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TemplateStore for InMemoryTemplates {
    async fn add_template(&self, template: &StoredTemplate) -> Result<(), TemplateStoreError> {
        self.templates.lock().unwrap().insert(template.id, template.clone());
        Ok(())
    }

    async fn template(&self, id: Uuid) -> Result<Option<StoredTemplate>, TemplateStoreError> {
        Ok(self.templates.lock().unwrap().get(&id).cloned())
    }

    async fn add_schema(&self, schema: &StoredSchema) -> Result<(), TemplateStoreError> {
        self.schemas.lock().unwrap().insert(schema.id, schema.clone());
        Ok(())
    }
}
