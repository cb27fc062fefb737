//! `CertificatePublisher` on kafka-rust (the `kafka` crate), as the project's design
//! names it. Reach: kafka-rust speaks only Kafka protocol v0 (Produce v0,
//! MessageSet magic 0), so it works with Apache Kafka up to 3.9; Kafka 4.x,
//! tansu and Redpanda reject its produce requests, and it cannot send record
//! headers (so no `ce_id` header here). Use the rdkafka adapter for those.
//!
//! It promises: acks from all in-sync replicas within the ack timeout; keys
//! partitioned with murmur2 as Java and kafkajs producers do; its blocking I/O
//! on tokio's blocking pool; every publish bounded by the call timeout, even
//! though kafka 0.10 has no setter for its 120 s socket read timeout (a stuck
//! call then finishes in the background while the relay moves on). It is also
//! the `ReadinessCheck` "kafka" (a broker accepts a connection in time).

mod partitioner;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, cause_from, CertificatePublisher, NotReady, PendingEvent, PublishError, ReadinessCheck,
};
use kafka::client::{KafkaClient, RequiredAcks};
use kafka::error::{Error as KafkaError, KafkaCode};
use kafka::producer::{Producer, Record};

pub use partitioner::{murmur2, Murmur2Partitioner};

#[derive(Debug, Clone)]
pub struct KafkaRustConfig {
    pub brokers: Vec<String>,
    pub client_id: String,
    pub topic: String,
    pub ack_timeout: Duration,
    /// Bound on one whole publish call, connecting included.
    pub call_timeout: Duration,
}

/// The `KAFKA_*` variables this client reads, with their defaults.
#[derive(serde::Deserialize)]
struct Env {
    #[serde(default = "default_brokers")]
    brokers: String,
    #[serde(default = "default_client_id")]
    client_id: String,
    #[serde(default = "default_topic")]
    topic: String,
    #[serde(default = "default_delivery_timeout_ms")]
    delivery_timeout_ms: u64,
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
fn default_delivery_timeout_ms() -> u64 {
    10_000
}

impl KafkaRustConfig {
    /// Reads `KAFKA_BROKERS` (comma-separated), `KAFKA_CLIENT_ID`,
    /// `KAFKA_TOPIC` and `KAFKA_DELIVERY_TIMEOUT_MS` (the ack timeout; a
    /// call gets 2 s more, to connect).
    pub fn from_env() -> Result<Self, envy::Error> {
        Self::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Self, envy::Error> {
        let env: Env = envy::prefixed("KAFKA_").from_iter(vars)?;
        let ack_timeout = Duration::from_millis(env.delivery_timeout_ms);
        Ok(Self {
            brokers: env.brokers.split(',').map(|b| b.trim().to_owned()).collect(),
            client_id: env.client_id,
            topic: env.topic,
            ack_timeout,
            call_timeout: ack_timeout + Duration::from_secs(2),
        })
    }
}

type KafkaProducer = Producer<Murmur2Partitioner>;

pub struct KafkaRustPublisher {
    config: Arc<KafkaRustConfig>,
    /// Connected lazily, and dropped after a failure so that the next call reconnects.
    producer: Arc<Mutex<Option<KafkaProducer>>>,
}

impl KafkaRustPublisher {
    pub fn new(config: KafkaRustConfig) -> Self {
        Self { config: Arc::new(config), producer: Arc::new(Mutex::new(None)) }
    }
}

/// A readiness check must answer even when the broker does not.
const BROKER_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[async_trait]
impl ReadinessCheck for KafkaRustPublisher {
    fn name(&self) -> &'static str {
        "kafka"
    }

    /// A broker accepts a TCP connection in time: kafka-rust has no metadata
    /// probe that does not block for its own timeouts.
    async fn check(&self) -> Result<(), NotReady> {
        for broker in &self.config.brokers {
            let connect = tokio::net::TcpStream::connect(broker.as_str());
            if let Ok(Ok(_)) = tokio::time::timeout(BROKER_CHECK_TIMEOUT, connect).await {
                return Ok(());
            }
        }
        let brokers = self.config.brokers.join(",");
        Err(NotReady::Unreachable(cause_from(format!("no broker of {brokers} accepts connections"))))
    }
}

fn connect(config: &KafkaRustConfig) -> Result<KafkaProducer, KafkaError> {
    let mut client = KafkaClient::new(config.brokers.clone());
    client.set_client_id(config.client_id.clone());
    // The default retries metadata for two minutes; the relay has its own backoff.
    client.set_retry_max_attempts(2);
    client.load_metadata_all()?;
    Producer::from_client(client)
        .with_ack_timeout(config.ack_timeout)
        .with_required_acks(RequiredAcks::All)
        .with_partitioner(Murmur2Partitioner)
        .create()
}

/// One record per event: the key is the `courseId`, the value the event JSON.
pub fn records<'a>(topic: &'a str, events: &'a [PendingEvent]) -> Vec<Record<'a, &'a [u8], &'a [u8]>> {
    events.iter().map(|event| Record::from_key_value(topic, event.key.as_bytes(), event.payload.as_bytes())).collect()
}

pub fn publish_error(error: KafkaError) -> PublishError {
    match error {
        KafkaError::Kafka(KafkaCode::RequestTimedOut) => PublishError::Timeout,
        KafkaError::Io(_) | KafkaError::NoHostReachable | KafkaError::Kafka(KafkaCode::NotEnoughReplicas) => {
            PublishError::Unavailable(cause(error))
        }
        other => PublishError::Rejected(cause(other)),
    }
}

fn send_blocking(
    config: &KafkaRustConfig,
    slot: &Mutex<Option<KafkaProducer>>,
    events: &[PendingEvent],
) -> Result<(), PublishError> {
    let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let producer = match slot.as_mut() {
        Some(producer) => producer,
        None => slot.insert(connect(config).map_err(publish_error)?),
    };
    let outcome = producer.send_all(&records(&config.topic, events)).map_err(publish_error).and_then(|confirms| {
        let failed = confirms.iter().flat_map(|c| &c.partition_confirms).find_map(|p| p.offset.err());
        failed.map_or(Ok(()), |code| Err(publish_error(KafkaError::Kafka(code))))
    });
    if outcome.is_err() {
        *slot = None;
    }
    outcome
}

#[async_trait]
impl CertificatePublisher for KafkaRustPublisher {
    /// kafka-rust acknowledges a whole `send_all` at once, so the batch
    /// succeeds or fails as one; a redelivered event keeps its `eventId`.
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        let (config, producer, batch) = (self.config.clone(), self.producer.clone(), events.to_vec());
        let span = tracing::Span::current();
        let call = tokio::task::spawn_blocking(move || span.in_scope(|| send_blocking(&config, &producer, &batch)));
        let outcome = match tokio::time::timeout(self.config.call_timeout, call).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join)) => Err(PublishError::Unavailable(cause(join))),
            Err(_) => Err(PublishError::Timeout),
        };
        vec![outcome; events.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn each_event_becomes_a_record_keyed_by_course() {
        let event = PendingEvent {
            id: 1,
            event_id: Uuid::nil(),
            user_id: Uuid::nil(),
            key: "do_1".into(),
            payload: "{\"eventType\":\"COURSE_STATUS_UPDATED\"}".into(),
            recorded_at: Default::default(),
            attempts: 0,
        };
        let events = [event];
        let records = records("user-topic", &events);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].topic, "user-topic");
        assert_eq!(records[0].key, b"do_1");
        assert_eq!(records[0].value, events[0].payload.as_bytes());
        assert_eq!(records[0].partition, -1, "left to the partitioner");
    }

    #[test]
    fn kafka_errors_map_to_publish_errors() {
        assert!(matches!(publish_error(KafkaError::Kafka(KafkaCode::RequestTimedOut)), PublishError::Timeout));
        assert!(matches!(publish_error(KafkaError::NoHostReachable), PublishError::Unavailable(_)));
        assert!(matches!(publish_error(KafkaError::Kafka(KafkaCode::UnsupportedVersion)), PublishError::Rejected(_)));
    }
}
