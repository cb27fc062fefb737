//! Chooses the `CertificatePublisher` from configuration.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use async_trait::async_trait;
use certificate_domain::ports::{CertificatePublisher, PendingEvent, PublishError};
use certificate_fakes::LoggingPublisher;
use certificate_kafka_rust::{KafkaRustConfig, KafkaRustPublisher};
use certificate_rdkafka::{RdKafkaConfig, RdKafkaPublisher};

use crate::config::{KafkaClient, KafkaSettings};

/// `kafkaEnabled=false` outside embedded mode: events are acknowledged
/// without being sent, as the NestJS service skipped them, and stay in the outbox
/// as published so that `outbox replay` can send them once Kafka is enabled.
struct DisabledPublisher;

#[async_trait]
impl CertificatePublisher for DisabledPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        events
            .iter()
            .map(|_| {
                tracing::warn!("Kafka is disabled. Skipping tracking event publish.");
                Ok(())
            })
            .collect()
    }
}

/// The broker client behind the publisher, for readiness and shutdown.
#[derive(Clone)]
pub enum Broker {
    RdKafka(Arc<RdKafkaPublisher>),
    KafkaRust { brokers: Vec<String> },
}

const BROKER_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

impl Broker {
    pub async fn check(&self) -> Result<(), String> {
        match self {
            Broker::RdKafka(publisher) => publisher.check_broker(BROKER_CHECK_TIMEOUT).await,
            Broker::KafkaRust { brokers } => any_broker_accepts(brokers).await,
        }
    }

    /// Waits, off the async runtime, for records still in flight.
    pub async fn flush(&self, timeout: Duration) {
        if let Broker::RdKafka(publisher) = self {
            let publisher = publisher.clone();
            let flushed = tokio::task::spawn_blocking(move || publisher.flush(timeout)).await;
            if let Ok(Err(error)) = flushed {
                tracing::error!(%error, "events still in flight at shutdown");
            }
        }
    }
}

/// kafka-rust has no cheap metadata probe without blocking: a TCP connect is the check.
async fn any_broker_accepts(brokers: &[String]) -> Result<(), String> {
    for broker in brokers {
        let connect = tokio::net::TcpStream::connect(broker.as_str());
        if let Ok(Ok(_)) = tokio::time::timeout(BROKER_CHECK_TIMEOUT, connect).await {
            return Ok(());
        }
    }
    Err(format!("no broker of {} accepts connections", brokers.join(",")))
}

pub async fn build(kafka: &KafkaSettings, embedded: bool) -> Result<(Arc<dyn CertificatePublisher>, Option<Broker>)> {
    if !kafka.enabled {
        let publisher: Arc<dyn CertificatePublisher> =
            if embedded { Arc::new(LoggingPublisher) } else { Arc::new(DisabledPublisher) };
        return Ok((publisher, None));
    }
    match kafka.client {
        KafkaClient::RdKafka => {
            let publisher = Arc::new(
                RdKafkaPublisher::new(RdKafkaConfig {
                    brokers: kafka.brokers.clone(),
                    client_id: kafka.client_id.clone(),
                    topic: kafka.topic.clone(),
                    delivery_timeout: kafka.delivery_timeout,
                })
                .context("cannot create the rdkafka producer")?,
            );
            ensure_topic(publisher.clone(), kafka.partitions, kafka.replication).await;
            Ok((publisher.clone(), Some(Broker::RdKafka(publisher))))
        }
        KafkaClient::KafkaRust => {
            let brokers: Vec<String> = kafka.brokers.split(',').map(|b| b.trim().to_owned()).collect();
            tracing::info!("kafka-rust cannot create topics: make sure {} exists", kafka.topic);
            let publisher = Arc::new(KafkaRustPublisher::new(KafkaRustConfig {
                brokers: brokers.clone(),
                client_id: kafka.client_id.clone(),
                topic: kafka.topic.clone(),
                ack_timeout: kafka.delivery_timeout,
                call_timeout: kafka.delivery_timeout + Duration::from_secs(2),
            }));
            Ok((publisher, Some(Broker::KafkaRust { brokers })))
        }
    }
}

/// Creates the topic now, or keeps trying in the background while the
/// broker is away: the service takes issuances meanwhile, the outbox holds them.
async fn ensure_topic(publisher: Arc<RdKafkaPublisher>, partitions: i32, replication: i32) {
    if let Err(error) = publisher.ensure_topic(partitions, replication).await {
        tracing::error!(%error, "cannot create the Kafka topic yet; retrying in the background");
        actix_web::rt::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                if publisher.ensure_topic(partitions, replication).await.is_ok() {
                    break;
                }
            }
        });
    }
}
