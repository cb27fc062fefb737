//! The Postgres adapter keeps the outbox contract, on a fresh database per
//! check (crates/certificate-fakes/tests/outbox_contract.rs runs the same
//! suite on the in-memory store).

use std::sync::Mutex;
use std::time::Duration;

use certificate_domain::contract::check_outbox;
use certificate_e2e::TestDatabase;
use certificate_postgres::{run_migrations, PgConfig, PgStore};

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_outbox_contract() {
    // Each check's database lives until the test ends, then is dropped.
    let databases = Mutex::new(Vec::new());
    check_outbox(|| async {
        let database = TestDatabase::create().await;
        run_migrations(&database.url).await.expect("migrations");
        let config = PgConfig {
            url: database.url.clone(),
            pool_size: 4,
            timeout: Duration::from_secs(5),
            record_retry_window: Duration::from_secs(1),
        };
        databases.lock().unwrap().push(database);
        PgStore::new(config).expect("a pool")
    })
    .await;
}
