//! The in-memory store keeps the outbox contract that Postgres keeps
//! (tests/tests/outbox_contract.rs runs the same suite there).

use certificate_domain::contract::check_outbox;
use certificate_fakes::InMemoryStore;

#[tokio::test]
async fn the_in_memory_store_keeps_the_outbox_contract() {
    check_outbox(|| async { InMemoryStore::new() }).await;
}
