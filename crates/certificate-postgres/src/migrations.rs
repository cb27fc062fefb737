use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{PgStore, StoreError};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration and returns the versions it applied.
/// The harness is blocking, so it runs on tokio's blocking pool.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, StoreError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let applied = conn.run_pending_migrations(MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await
    .map_err(|e| StoreError::Migration(e.to_string()))?
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// Ready means: the database answers and knows the newest embedded migration.
pub(crate) async fn check_applied(store: &PgStore) -> Result<(), String> {
    let newest = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|m| m.name().version().to_string())
        .max()
        .unwrap_or_default();
    let applied: Vec<Version> = store
        .with_conn(async |conn| {
            diesel_async::RunQueryDsl::load(
                diesel::sql_query("SELECT version FROM __diesel_schema_migrations WHERE version = $1")
                    .bind::<diesel::sql_types::Text, _>(&newest),
                conn,
            )
            .await
        })
        .await
        .map_err(|e| e.to_string())?;
    match applied.first() {
        Some(v) if v.version == newest => Ok(()),
        _ => Err(format!("migration {newest} is not applied")),
    }
}
