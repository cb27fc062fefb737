//! The Kafka adapters keep the publisher contract, on tansu, read back
//! through a consumer, and so do the metered decorators that wrap every
//! production adapter; both keep the readiness contract. The Postgres runs of the store contracts are in
//! crates/certificate-postgres/tests/contracts.rs, the in-memory and
//! broker-less ones in crates/certificate-memory/tests/contracts.rs.

use std::sync::Arc;
use std::time::Duration;

use certificate_credential_service::{HttpCredentialIssuer, UpstreamConfig};
use certificate_domain::contract::{
    check_credential_issuance, check_credential_revocation, check_credential_verification, check_every_credential_role,
    check_publisher, check_readiness, check_unreachable_publisher,
};
use certificate_domain::ports::{CredentialIssuance, CredentialVerification};
use certificate_http::PublicRoutes;
use certificate_kafka_rust::{KafkaRustConfig, KafkaRustPublisher};
use certificate_local_issuer::StatusListRevocation;
use certificate_local_issuer::{IssuerKey, LocalIssuer};
use certificate_memory::embedded::InMemoryStore;
use certificate_metrics::{MeteredIssuer, MeteredPublisher, Metrics};
use certificate_rdkafka::{RdKafkaConfig, RdKafkaPublisher, EVENT_ID_HEADER};
use certificate_system_tests::{create_topic, register_event_schema, FakeUpstreams, TopicReader, KAFKA_BROKERS};
use uuid::Uuid;

fn rdkafka(brokers: &str, topic: &str) -> RdKafkaPublisher {
    let config = RdKafkaConfig::from_vars(
        [("KAFKA_BROKERS", brokers), ("KAFKA_TOPIC", topic), ("KAFKA_DELIVERY_TIMEOUT_MS", "2000")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .expect("a valid configuration");
    RdKafkaPublisher::new(config).expect("a producer")
}

fn kafka_rust(brokers: &str, topic: &str) -> KafkaRustPublisher {
    KafkaRustPublisher::new(KafkaRustConfig {
        brokers: vec![brokers.to_owned()],
        client_id: "contract".into(),
        topic: topic.to_owned(),
        ack_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_secs(4),
    })
}

/// A fresh topic on tansu, validated against the event schema, and a reader of it.
async fn fresh_topic() -> TopicReader {
    let topic = format!("contract-{}", Uuid::new_v4());
    register_event_schema(&topic);
    create_topic(KAFKA_BROKERS, &topic).await;
    TopicReader { brokers: KAFKA_BROKERS.to_owned(), topic }
}

fn metrics() -> Arc<Metrics> {
    Arc::new(Metrics::new(Arc::new(InMemoryStore::new())))
}

#[tokio::test(flavor = "multi_thread")]
async fn rdkafka_on_tansu_keeps_the_publisher_contract() {
    let topic = fresh_topic().await;
    check_publisher(&rdkafka(KAFKA_BROKERS, &topic.topic), &topic, Some(EVENT_ID_HEADER)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metered_rdkafka_on_tansu_keeps_the_publisher_contract() {
    let topic = fresh_topic().await;
    let metered = MeteredPublisher::new(Arc::new(rdkafka(KAFKA_BROKERS, &topic.topic)), metrics());
    check_publisher(&metered, &topic, Some(EVENT_ID_HEADER)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rdkafka_without_a_broker_keeps_the_publisher_contract() {
    check_unreachable_publisher(&rdkafka("127.0.0.1:1", "nowhere"), Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rdkafka_keeps_the_readiness_contract() {
    let topic = fresh_topic().await;
    check_readiness(&rdkafka(KAFKA_BROKERS, &topic.topic), &rdkafka("127.0.0.1:1", "nowhere")).await;
}

/// kafka-rust's check is a connection to a broker, which tansu accepts (its
/// publishing needs a Kafka <= 3.9: tests/tests/system/kafka_rust.rs).
#[tokio::test(flavor = "multi_thread")]
async fn kafka_rust_keeps_the_readiness_contract() {
    check_readiness(&kafka_rust(KAFKA_BROKERS, "readiness"), &kafka_rust("127.0.0.1:1", "nowhere")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_rust_without_a_broker_keeps_the_publisher_contract() {
    check_unreachable_publisher(&kafka_rust("127.0.0.1:1", "nowhere"), Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metered_kafka_rust_without_a_broker_keeps_the_publisher_contract() {
    let metered = MeteredPublisher::new(Arc::new(kafka_rust("127.0.0.1:1", "nowhere")), metrics());
    check_unreachable_publisher(&metered, Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metered_http_issuer_keeps_the_contract_of_every_credential_role_against_the_fake() {
    let fake = FakeUpstreams::start();
    let config = UpstreamConfig::from_vars(
        [
            ("RC_IDENTITY_API_BASE_URL", fake.base_url().as_str()),
            ("RC_CREDENTIALS_API_BASE_URL", fake.base_url().as_str()),
            ("VERIFICATION_SCHEMA_URL", "https://schema.example/v1"),
            ("VERIFICATION_SCHEMA_NAME", "CourseCertificate"),
            ("CERTIFICATE_ISSUER_DID", "did:upai:issuer"),
            ("SCHEMA_ID", "schema-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .expect("a valid configuration")
    .expect("the upstreams are set");
    let metered = MeteredIssuer::new(Arc::new(HttpCredentialIssuer::new(config)), metrics());
    check_every_credential_role(&metered).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metered_local_issuer_keeps_the_contracts_of_its_roles() {
    let local = Arc::new(LocalIssuer::new(IssuerKey::generate(), Arc::new(PublicRoutes::new("http://localhost:3000"))));
    let issuance = MeteredIssuer::new(local.clone() as Arc<dyn CredentialIssuance>, metrics());
    let verification = MeteredIssuer::new(local as Arc<dyn CredentialVerification>, metrics());
    check_credential_issuance(&issuance).await;
    let store = Arc::new(InMemoryStore::new());
    let revocation = StatusListRevocation { repo: store.clone(), standings: store, lists: None };
    check_credential_revocation(&issuance, &revocation).await;
    check_credential_verification(&issuance, &verification, &revocation).await;
}

/// kafka-rust speaks only protocol v0, which tansu rejects (see kafka_rust.rs).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Kafka <= 3.9 broker in KAFKA_V0_BROKERS (cannot run on these machines)"]
async fn kafka_v0_broker_keeps_the_publisher_contract_through_kafka_rust() {
    let brokers = std::env::var("KAFKA_V0_BROKERS").expect("KAFKA_V0_BROKERS names a Kafka <= 3.9 broker");
    let topic = format!("contract-{}", Uuid::new_v4());
    create_topic(&brokers, &topic).await;
    let reader = TopicReader { brokers: brokers.clone(), topic: topic.clone() };
    check_publisher(&kafka_rust(&brokers, &topic), &reader, None).await;
}
