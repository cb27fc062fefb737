//! Test support, behind the `test-support` feature: a database of its own
//! per test, on the Postgres server `make deps` sets up
//! (`TEST_POSTGRES_ADMIN_URL` to use another). The contract tests of this
//! crate and the system tests (tests/) use it.

use tokio_postgres::{Client, NoTls, Row};

/// The server the tests create their databases on (`make deps` sets it up).
pub fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
    client: Client,
}

pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e} (did `make deps` start Postgres?)"));
    tokio::spawn(connection);
    client
}

impl TestDatabase {
    pub async fn create() -> Self {
        Self::create_on(&admin_url()).await
    }

    /// A new database on the server `admin_url` points at.
    pub async fn create_on(admin_url: &str) -> Self {
        let admin = connect(admin_url).await;
        let name = format!("certificate_test_{}", uuid::Uuid::new_v4().simple());
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create the test database");
        let url = format!("{}/{name}", &admin_url[..admin_url.rfind('/').expect("a database in the admin URL")]);
        let client = connect(&url).await;
        Self { name, url, admin_url: admin_url.to_owned(), client }
    }

    /// Queries on a fresh connection: the test may have restarted the server.
    pub async fn query(&self, sql: &str) -> Vec<Row> {
        match self.client.query(sql, &[]).await {
            Ok(rows) => rows,
            Err(_) => connect(&self.url).await.query(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.query(sql).await[0].get(0)
    }

    pub async fn execute(&self, sql: &str) {
        self.client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (name, admin_url) = (self.name.clone(), self.admin_url.clone());
        // Best effort, on a runtime of its own: the test's may be shutting down.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let (admin, connection) = tokio_postgres::connect(&admin_url, NoTls).await.ok()?;
                tokio::spawn(connection);
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
            })
        })
        .join();
    }
}
