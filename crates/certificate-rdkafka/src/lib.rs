//! `CertificatePublisher` on rdkafka (librdkafka 2.12, built from source by
//! `cmake-build`, so no system library is needed): the default adapter, for any
//! current Kafka-protocol broker (Kafka 4.x, tansu, Redpanda).
//!
//! It promises: a producer with `acks=all` (not idempotent, see `create_producer`); the murmur2
//! partitioner Java and kafkajs producers use, so keys land where the
//! NestJS service's did (docs/contract.md); every record carries the `eventId` as a `ce_id` header and
//! `content-type: application/json`; `publish` returns only once each record
//! is acknowledged or has failed, within the delivery timeout. It is also the
//! `ReadinessCheck` "kafka" (a metadata request answered in time), and
//! creates its topic on start as the NestJS service did.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{cause, CertificatePublisher, NotReady, PendingEvent, PublishError, ReadinessCheck};
use futures_util::future::join_all;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;

/// The `KAFKA_*` variables of docs/contract.md, with their defaults.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RdKafkaConfig {
    #[serde(default = "default_brokers")]
    pub brokers: String,
    #[serde(default = "default_client_id")]
    pub client_id: String,
    #[serde(default = "default_topic")]
    pub topic: String,
    /// Created with this many partitions when it does not exist.
    #[serde(default = "one", rename = "topic_partitions")]
    pub partitions: i32,
    #[serde(default = "one", rename = "topic_replication_factor")]
    pub replication: i32,
    /// How long librdkafka keeps trying one record before it reports failure.
    #[serde(default = "default_delivery_timeout", rename = "delivery_timeout_ms", deserialize_with = "milliseconds")]
    pub delivery_timeout: Duration,
}

fn default_brokers() -> String {
    "localhost:9092".into()
}
fn default_client_id() -> String {
    "tracking-service".into()
}
fn default_topic() -> String {
    "user-topic".into()
}
fn one() -> i32 {
    1
}
fn default_delivery_timeout() -> Duration {
    Duration::from_secs(10)
}
fn milliseconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    <u64 as serde::Deserialize>::deserialize(deserializer).map(Duration::from_millis)
}

impl RdKafkaConfig {
    /// Reads `KAFKA_BROKERS`, `KAFKA_CLIENT_ID`, `KAFKA_TOPIC`,
    /// `KAFKA_TOPIC_PARTITIONS`, `KAFKA_TOPIC_REPLICATION_FACTOR` and
    /// `KAFKA_DELIVERY_TIMEOUT_MS`.
    pub fn from_env() -> Result<Self, envy::Error> {
        Self::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Self, envy::Error> {
        let config: Self = envy::prefixed("KAFKA_").from_iter(vars)?;
        if config.partitions < 1 || config.replication < 1 {
            return Err(envy::Error::Custom(
                "KAFKA_TOPIC_PARTITIONS and KAFKA_TOPIC_REPLICATION_FACTOR must be at least 1".into(),
            ));
        }
        Ok(config)
    }

    fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id)
            .set("socket.timeout.ms", "10000")
            .set("reconnect.backoff.max.ms", "2000");
        config
    }
}

pub struct RdKafkaPublisher {
    /// Replaced when librdkafka reports a fatal error: an idempotent producer
    /// that was fenced (seen with tansu after a delivery timed out during an
    /// outage) refuses every later record until it is recreated.
    producer: RwLock<FutureProducer>,
    config: RdKafkaConfig,
}

pub const EVENT_ID_HEADER: &str = "ce_id";

/// Per-record errors after which an idempotent producer never recovers.
const PRODUCER_BROKEN: [RDKafkaErrorCode; 4] = [
    RDKafkaErrorCode::ProducerFenced,
    RDKafkaErrorCode::InvalidProducerEpoch,
    RDKafkaErrorCode::UnknownProducerId,
    RDKafkaErrorCode::OutOfOrderSequenceNumber,
];

impl RdKafkaPublisher {
    pub fn new(config: RdKafkaConfig) -> Result<Self, KafkaError> {
        Ok(Self { producer: RwLock::new(create_producer(&config)?), config })
    }

    fn producer(&self) -> FutureProducer {
        self.producer.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Recreates the producer if the one that was used has failed for good:
    /// a fatal error, or an idempotence error it does not recover from.
    fn replace_if_broken(&self, used: &FutureProducer, errors: &[&KafkaError]) {
        let fenced = errors.iter().find_map(|e| e.rdkafka_error_code().filter(|code| PRODUCER_BROKEN.contains(code)));
        let Some(reason) = used.client().fatal_error().map(|(_, reason)| reason).or(fenced.map(|c| c.to_string()))
        else {
            return;
        };
        tracing::error!(%reason, "the Kafka producer failed for good; creating a new one");
        match create_producer(&self.config) {
            Ok(fresh) => *self.producer.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh,
            Err(error) => tracing::error!(%error, "cannot create a new Kafka producer"),
        }
    }

    /// Creates the topic unless it exists, as the NestJS service did on start.
    pub async fn ensure_topic(&self) -> Result<(), KafkaError> {
        let (partitions, replication) = (self.config.partitions, self.config.replication);
        let admin: AdminClient<DefaultClientContext> = self.config.client_config().create()?;
        let topic = NewTopic::new(&self.config.topic, partitions, TopicReplication::Fixed(replication));
        let options = AdminOptions::new().operation_timeout(Some(Timeout::After(self.config.delivery_timeout)));
        for result in admin.create_topics([&topic], &options).await? {
            match result {
                Ok(name) => {
                    tracing::info!(topic = %name, partitions, replication, "created the Kafka topic")
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => {
                    return Err(KafkaError::AdminOp(code))
                        .inspect_err(|_| tracing::error!(topic = %name, "cannot create topic"))
                }
            }
        }
        Ok(())
    }

    /// Creates the topic now, or keeps trying every 5 s in the background
    /// while the broker is away: issuances go on meanwhile, the outbox holds
    /// their events.
    pub async fn ensure_topic_or_keep_trying(self: Arc<Self>) {
        if let Err(error) = self.ensure_topic().await {
            tracing::error!(%error, "cannot create the Kafka topic yet; retrying in the background");
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    if self.ensure_topic().await.is_ok() {
                        break;
                    }
                }
            });
        }
    }
}

/// A readiness check must answer even when the broker does not.
const BROKER_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[async_trait]
impl ReadinessCheck for RdKafkaPublisher {
    fn name(&self) -> &'static str {
        "kafka"
    }

    /// A broker answers a metadata request for the topic in time.
    async fn check(&self) -> Result<(), NotReady> {
        let producer = self.producer();
        let topic = self.config.topic.clone();
        let metadata = move || producer.client().fetch_metadata(Some(&topic), Timeout::After(BROKER_CHECK_TIMEOUT));
        match tokio::task::spawn_blocking(metadata).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(NotReady::Unreachable(cause(error))),
            Err(error) => Err(NotReady::Unreachable(cause(error))),
        }
    }
}

fn create_producer(config: &RdKafkaConfig) -> Result<FutureProducer, KafkaError> {
    config
        .client_config()
        // Not idempotent: order per certificate comes from the outbox (one
        // event of a certificate in flight at a time), duplicates are the
        // at-least-once the consumers already deduplicate on eventId, and
        // tansu fences an idempotent producer after a refused record or a
        // delivery that timed out (it then refuses it for good).
        .set("enable.idempotence", "false")
        .set("acks", "all")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "0")
        .set("message.timeout.ms", config.delivery_timeout.as_millis().to_string())
        .create()
}

pub fn publish_error(error: KafkaError) -> PublishError {
    match error.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::RequestTimedOut) => PublishError::Timeout,
        Some(RDKafkaErrorCode::InvalidRecord) => PublishError::InvalidRecord(cause(error)),
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidMessage
            | RDKafkaErrorCode::TopicAuthorizationFailed,
        ) => PublishError::Rejected(cause(error)),
        _ => PublishError::Unavailable(cause(error)),
    }
}

fn headers(event_id: &str) -> OwnedHeaders {
    OwnedHeaders::new()
        .insert(Header { key: EVENT_ID_HEADER, value: Some(event_id) })
        .insert(Header { key: "content-type", value: Some("application/json") })
}

#[async_trait]
impl CertificatePublisher for RdKafkaPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        let producer = self.producer();
        let deliveries = events.iter().map(|event| async {
            let event_id = event.event_id.to_string();
            let record = FutureRecord::to(&self.config.topic)
                .key(&event.key)
                .payload(&event.payload)
                .headers(headers(&event_id));
            producer
                .send(record, Timeout::After(self.config.delivery_timeout))
                .await
                .map(drop)
                .map_err(|(error, _)| error)
        });
        let results = join_all(deliveries).await;
        let errors: Vec<&KafkaError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        if !errors.is_empty() {
            self.replace_if_broken(&producer, &errors);
        }
        results.into_iter().map(|r| r.map_err(publish_error)).collect()
    }

    /// Waits, off the async runtime, for every record still in flight.
    async fn flush(&self, timeout: Duration) {
        let producer = self.producer();
        match tokio::task::spawn_blocking(move || producer.flush(Timeout::After(timeout))).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "events still in flight at shutdown"),
            Err(error) => tracing::error!(%error, "cannot flush the Kafka producer"),
        }
    }
}
