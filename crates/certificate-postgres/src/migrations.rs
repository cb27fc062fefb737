use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use certificate_domain::ports::NotReady;

use crate::error::DbError;
use crate::{PgStore, StoreError};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration and returns the versions it applied.
/// The harness is blocking, so it runs on tokio's blocking pool.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, StoreError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)?;
        let applied = conn.run_pending_migrations(MIGRATIONS).map_err(StoreError::Migration)?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await
    .map_err(|e| StoreError::Migration(Box::new(e)))?
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// Ready means: the database answers and knows the newest embedded migration.
pub(crate) async fn check_applied(store: &PgStore) -> Result<(), NotReady> {
    let newest = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| NotReady::NotSetUp(format!("the embedded migrations cannot be read: {e}")))?
        .iter()
        .map(|m| m.name().version().to_string())
        .max()
        .unwrap_or_default();
    let applied: Vec<Version> = store
        .db
        .with_conn(async |conn| {
            diesel_async::RunQueryDsl::load(
                diesel::sql_query("SELECT version FROM __diesel_schema_migrations WHERE version = $1")
                    .bind::<diesel::sql_types::Text, _>(&newest),
                conn,
            )
            .await
        })
        .await
        .map_err(|error| match error {
            DbError::Unavailable(cause) | DbError::Failed(cause) => NotReady::Unreachable(cause),
        })?;
    match applied.first() {
        Some(v) if v.version == newest => Ok(()),
        _ => Err(NotReady::NotSetUp(format!("migration {newest} is not applied"))),
    }
}
