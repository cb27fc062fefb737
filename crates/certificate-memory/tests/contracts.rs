//! The in-memory store keeps the repository and outbox contracts that
//! Postgres keeps, and the broker-less publishers the publisher contract that
//! the Kafka adapters keep (tests/tests/contracts.rs runs the same suites there).

use certificate_domain::contract::{check_outbox, check_publisher, check_repo};
use certificate_memory::{DisabledPublisher, InMemoryStore, LoggingPublisher, RecordingPublisher};

#[tokio::test]
async fn the_in_memory_store_keeps_the_outbox_contract() {
    check_outbox(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_repository_contract() {
    check_repo(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_broker_less_publishers_keep_the_publisher_contract() {
    check_publisher(&LoggingPublisher).await;
    check_publisher(&DisabledPublisher).await;
    check_publisher(&RecordingPublisher::new()).await;
}
