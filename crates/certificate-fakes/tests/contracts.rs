//! The in-memory store keeps the repository and outbox contracts that
//! Postgres keeps (tests/tests/contracts.rs runs the same suites there).

use certificate_domain::contract::{check_outbox, check_repo};
use certificate_fakes::InMemoryStore;

#[tokio::test]
async fn the_in_memory_store_keeps_the_outbox_contract() {
    check_outbox(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_repository_contract() {
    check_repo(|| async { InMemoryStore::new() }).await;
}
