//! `TemplateStore`: the Handlebars templates and the credential schemas this
//! service keeps when it issues by itself (Sunbird RC keeps its own, reached
//! through [`super::CredentialDesign`]). A template is never changed once
//! stored, so what it rendered stays true.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The one template language, as Sunbird RC names it.
pub const TEMPLATE_KIND: &str = "Handlebar";
/// The schema version the NestJS service sends with every template.
pub const SCHEMA_VERSION: &str = "1.0.0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    pub id: Uuid,
    pub schema_id: String,
    pub schema_version: String,
    /// The Handlebars source, as sent.
    pub template: Arc<str>,
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    pub id: Uuid,
    /// The schema as sent, JSON text kept byte for byte.
    pub schema: Arc<str>,
    pub created_at: DateTime<Utc>,
}

store_error!(
    /// The template store could not be used.
    TemplateStoreError,
    "template store"
);

#[async_trait]
pub trait TemplateStore: Send + Sync + 'static {
    async fn add_template(&self, template: &StoredTemplate) -> Result<(), TemplateStoreError>;
    async fn template(&self, id: Uuid) -> Result<Option<StoredTemplate>, TemplateStoreError>;
    async fn add_schema(&self, schema: &StoredSchema) -> Result<(), TemplateStoreError>;
}
