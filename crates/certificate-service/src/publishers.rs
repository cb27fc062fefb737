//! Chooses the `CertificatePublisher` from configuration.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use certificate_domain::ports::CertificatePublisher;
use certificate_fakes::{DisabledPublisher, LoggingPublisher};
use certificate_kafka_rust::{KafkaRustConfig, KafkaRustPublisher};
use certificate_rdkafka::{RdKafkaConfig, RdKafkaPublisher};

use crate::config::{KafkaClient, KafkaSettings};

/// The broker client behind the publisher, for readiness and shutdown.
#[derive(Clone)]
pub enum Broker {
    RdKafka(Arc<RdKafkaPublisher>),
    KafkaRust(Arc<KafkaRustPublisher>),
}

const BROKER_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

impl Broker {
    pub async fn check(&self) -> Result<(), String> {
        match self {
            Broker::RdKafka(publisher) => publisher.check_broker(BROKER_CHECK_TIMEOUT).await,
            Broker::KafkaRust(publisher) => publisher.check_broker(BROKER_CHECK_TIMEOUT).await,
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
            publisher.clone().ensure_topic_or_keep_trying(kafka.partitions, kafka.replication).await;
            Ok((publisher.clone(), Some(Broker::RdKafka(publisher))))
        }
        KafkaClient::KafkaRust => {
            tracing::info!("kafka-rust cannot create topics: make sure {} exists", kafka.topic);
            let publisher = Arc::new(KafkaRustPublisher::new(KafkaRustConfig {
                brokers: kafka.brokers.split(',').map(|b| b.trim().to_owned()).collect(),
                client_id: kafka.client_id.clone(),
                topic: kafka.topic.clone(),
                ack_timeout: kafka.delivery_timeout,
                call_timeout: kafka.delivery_timeout + Duration::from_secs(2),
            }));
            Ok((publisher.clone(), Some(Broker::KafkaRust(publisher))))
        }
    }
}
