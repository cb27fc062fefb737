//! The in-memory store keeps the repository, outbox and revocation queue
//! contracts that Postgres keeps, the fake credential issuer the contract the
//! HTTP adapter keeps, and the broker-less publishers the publisher contract
//! that the Kafka adapters keep (tests/tests/contracts.rs runs the same suites there).

use certificate_domain::contract::{
    check_credential_issuer, check_outbox, check_publisher, check_repo, check_revocations, IssuedLookup,
};
use certificate_memory::{
    DisabledPublisher, FakeCredentialIssuer, InMemoryStore, LoggingPublisher, RecordingPublisher,
};

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

#[tokio::test]
async fn the_in_memory_store_keeps_the_revocation_queue_contract() {
    check_revocations(|| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn the_in_memory_fake_keeps_the_credential_issuer_contract() {
    check_credential_issuer(&FakeCredentialIssuer::new(), IssuedLookup::FindsIssued).await;
}
