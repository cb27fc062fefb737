//! The Postgres adapter keeps the repository and outbox contracts, on a fresh
//! database per check (crates/certificate-fakes/tests/contracts.rs runs the
//! same suites on the in-memory store).

use std::sync::Mutex;
use std::time::Duration;

use certificate_domain::contract::{check_outbox, check_repo};
use certificate_e2e::TestDatabase;
use certificate_postgres::{run_migrations, PgConfig, PgStore};

/// Fresh stores, each on a database of its own that lives until `Databases`
/// is dropped at the end of the test.
#[derive(Default)]
struct Databases(Mutex<Vec<TestDatabase>>);

impl Databases {
    async fn fresh_store(&self) -> PgStore {
        let database = TestDatabase::create().await;
        run_migrations(&database.url).await.expect("migrations");
        let config = PgConfig {
            url: database.url.clone(),
            pool_size: 4,
            timeout: Duration::from_secs(5),
            record_retry_window: Duration::from_secs(1),
        };
        self.0.lock().unwrap().push(database);
        PgStore::new(config).expect("a pool")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_repository_contract() {
    let databases = Databases::default();
    check_repo(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_outbox_contract() {
    let databases = Databases::default();
    check_outbox(|| databases.fresh_store()).await;
}
