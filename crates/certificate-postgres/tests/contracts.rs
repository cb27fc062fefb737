//! Postgres keeps the repository, outbox and revocation queue contracts
//! (`certificate_domain::contract`), on a fresh database per check, as the
//! in-memory store does (crates/certificate-memory/tests/contracts.rs);
//! and group commit fails only the row Postgres refuses.

// The test-support module, compiled into this test as the system tests get
// it through the `test-support` feature (they use the queries it has too).
#[path = "../src/testing.rs"]
#[allow(dead_code)]
mod testing;

use std::sync::Mutex;
use std::time::Duration;

use certificate_domain::contract::{
    check_gauges, check_job_store, check_outbox, check_readiness, check_repo, check_revocations, check_standings,
    check_status_list_store, check_template_store, check_wallet_store,
};
use certificate_domain::ports::{CertificateRepo, Claim, ClaimRequest, RepoError};
use certificate_postgres::{run_migrations, PgConfig, PgStore};
use testing::TestDatabase;
use uuid::Uuid;

/// Fresh stores, each on a database of its own that lives until `Databases`
/// is dropped at the end of the test.
#[derive(Default)]
struct Databases(Mutex<Vec<TestDatabase>>);

impl Databases {
    async fn fresh_store(&self) -> PgStore {
        self.fresh_store_gathering(Duration::ZERO).await
    }

    /// A store whose lanes gather jobs for `wait` after the first (DB_BATCH_WAIT_US).
    async fn fresh_store_gathering(&self, wait: Duration) -> PgStore {
        let database = TestDatabase::create().await;
        run_migrations(&database.url).await.expect("migrations");
        let config = PgConfig { url: database.url.clone(), batch_wait: wait, ..ready_config() };
        self.0.lock().unwrap().push(database);
        PgStore::new(config).expect("a pool")
    }
}

/// The stores' settings but the database: four connections, one lane (so
/// that concurrent calls of a check queue behind each other and share
/// statements, as under load).
fn ready_config() -> PgConfig {
    PgConfig {
        url: String::new(),
        pool_size: 4,
        timeout: Duration::from_secs(5),
        record_retry_window: Duration::from_secs(1),
        batch_lanes: 1,
        batch_max: 64,
        batch_wait: Duration::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_repository_contract() {
    let databases = Databases::default();
    check_repo(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_revocation_queue_contract() {
    let databases = Databases::default();
    check_revocations(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_standings_contract() {
    let databases = Databases::default();
    check_standings(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_status_list_store_contract() {
    let databases = Databases::default();
    check_status_list_store(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_template_store_contract() {
    let databases = Databases::default();
    check_template_store(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_outbox_contract() {
    let databases = Databases::default();
    check_outbox(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_gauges_contract() {
    let databases = Databases::default();
    check_gauges(|| databases.fresh_store()).await;
}

/// Group commit: a row Postgres refuses (a NUL in a text) fails its own
/// claim only, not the others of its statement.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_refused_row_fails_only_its_own_claim() {
    let databases = Databases::default();
    // The lane waits a little for company, so that the claims share statements.
    let store = databases.fresh_store_gathering(Duration::from_millis(20)).await;
    let learner = Uuid::new_v4();
    let courses: Vec<String> =
        (0..12).map(|n| if n == 7 { "bad\u{0}course".into() } else { format!("course-{n}") }).collect();
    let claims = courses.iter().map(|course| {
        store.claim(ClaimRequest {
            user_id: learner,
            course_id: course,
            idempotency_key: None,
            reissue: false,
            lease: Duration::from_secs(30),
            new_issuance_id: Uuid::new_v4(),
        })
    });
    let answers = futures_util::future::join_all(claims).await;
    for (course, answer) in courses.iter().zip(&answers) {
        match (course.contains('\0'), answer) {
            (true, Err(RepoError::Failed(_))) | (false, Ok(Claim::Acquired(_))) => {}
            _ => panic!("{course:?} answered {answer:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_wallet_store_contract() {
    let databases = Databases::default();
    check_wallet_store(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_job_store_contract() {
    let databases = Databases::default();
    check_job_store(|| databases.fresh_store()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_readiness_contract() {
    let databases = Databases::default();
    let ready = databases.fresh_store().await;
    let away = PgConfig { url: "postgres://postgres:postgres@127.0.0.1:1/nowhere".into(), ..ready_config() };
    check_readiness(&ready, &PgStore::new(away).expect("a pool, connected lazily")).await;
}
