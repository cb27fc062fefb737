//! `CertificatePublisher` on rdkafka (librdkafka 2.12, built from source by
//! `cmake-build`, so no system library is needed): the default adapter, for any
//! current Kafka-protocol broker (Kafka 4.x, tansu, Redpanda).
//!
//! It promises: an idempotent producer with `acks=all`; the murmur2
//! partitioner Java and kafkajs producers use, so keys land where the
//! NestJS service's did (docs/contract.md); every record carries the `eventId` as a `ce_id` header and
//! `content-type: application/json`; `publish` returns only once each record
//! is acknowledged or has failed, within the delivery timeout.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{CertificatePublisher, PendingEvent, PublishError};
use futures_util::future::join_all;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;

#[derive(Debug, Clone)]
pub struct RdKafkaConfig {
    pub brokers: String,
    pub client_id: String,
    pub topic: String,
    /// How long librdkafka keeps trying one record before it reports failure.
    pub delivery_timeout: Duration,
}

impl RdKafkaConfig {
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
    pub async fn ensure_topic(&self, partitions: i32, replication: i32) -> Result<(), KafkaError> {
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
    pub async fn ensure_topic_or_keep_trying(self: Arc<Self>, partitions: i32, replication: i32) {
        if let Err(error) = self.ensure_topic(partitions, replication).await {
            tracing::error!(%error, "cannot create the Kafka topic yet; retrying in the background");
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    if self.ensure_topic(partitions, replication).await.is_ok() {
                        break;
                    }
                }
            });
        }
    }

    /// Whether a broker answers a metadata request for the topic in time.
    pub async fn check_broker(&self, timeout: Duration) -> Result<(), String> {
        let producer = self.producer();
        let topic = self.config.topic.clone();
        tokio::task::spawn_blocking(move || producer.client().fetch_metadata(Some(&topic), Timeout::After(timeout)))
            .await
            .map_err(|e| e.to_string())?
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Waits for every record in flight; called on shutdown.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.producer().flush(Timeout::After(timeout))
    }
}

fn create_producer(config: &RdKafkaConfig) -> Result<FutureProducer, KafkaError> {
    config
        .client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "0")
        .set("message.timeout.ms", config.delivery_timeout.as_millis().to_string())
        .create()
}

pub fn publish_error(error: &KafkaError) -> PublishError {
    match error.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::RequestTimedOut) => PublishError::Timeout,
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidMessage
            | RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::InvalidRecord,
        ) => PublishError::Rejected(error.to_string()),
        _ => PublishError::Unavailable(error.to_string()),
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
        results.into_iter().map(|r| r.map_err(|error| publish_error(&error))).collect()
    }
}
