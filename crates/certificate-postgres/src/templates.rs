//! The template store on Postgres: `certificate_template` and
//! `certificate_schema`, written once, read by id.

use async_trait::async_trait;
use certificate_domain::ports::{StoredSchema, StoredTemplate, TemplateStore, TemplateStoreError};
use chrono::{DateTime, Utc};
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::sql::{INSERT_SCHEMA, INSERT_TEMPLATE, SELECT_TEMPLATE};
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct TemplateRow {
    #[diesel(sql_type = SqlUuid)]
    template_id: Uuid,
    #[diesel(sql_type = Text)]
    schema_id: String,
    #[diesel(sql_type = Text)]
    schema_version: String,
    #[diesel(sql_type = Text)]
    template: String,
    #[diesel(sql_type = Text)]
    template_type: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

#[async_trait]
impl TemplateStore for PgStore {
    async fn add_template(&self, template: &StoredTemplate) -> Result<(), TemplateStoreError> {
        let insert = async |conn: &mut _| {
            Statement::new(INSERT_TEMPLATE)
                .uuid(template.id)
                .text(&template.schema_id)
                .text(&template.schema_version)
                .text(&template.template)
                .text(&template.kind)
                .timestamptz(template.created_at)
                .execute(conn)
                .await
        };
        self.db.with_conn(insert).await?;
        Ok(())
    }

    async fn template(&self, id: Uuid) -> Result<Option<StoredTemplate>, TemplateStoreError> {
        let rows: Vec<TemplateRow> =
            self.db.with_conn(async |conn| Statement::new(SELECT_TEMPLATE).uuid(id).load(conn).await).await?;
        Ok(rows.into_iter().next().map(|row| StoredTemplate {
            id: row.template_id,
            schema_id: row.schema_id,
            schema_version: row.schema_version,
            template: row.template.into(),
            kind: row.template_type,
            created_at: row.created_at,
        }))
    }

    async fn add_schema(&self, schema: &StoredSchema) -> Result<(), TemplateStoreError> {
        let insert = async |conn: &mut _| {
            Statement::new(INSERT_SCHEMA)
                .uuid(schema.id)
                .text(&schema.schema)
                .timestamptz(schema.created_at)
                .execute(conn)
                .await
        };
        self.db.with_conn(insert).await?;
        Ok(())
    }
}
