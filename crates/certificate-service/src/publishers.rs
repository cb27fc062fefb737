//! Chooses the `CertificatePublisher` from configuration, and the broker
//! readiness checks with it.

use std::sync::Arc;

use anyhow::{Context, Result};
use certificate_domain::ports::{CertificatePublisher, ReadinessCheck};
use certificate_kafka_rust::KafkaRustPublisher;
use certificate_memory::embedded::{DisabledPublisher, LoggingPublisher};
use certificate_rdkafka::RdKafkaPublisher;

use crate::config::Publisher;

/// The publisher, and the broker as a readiness dependency when there is one.
pub async fn build(
    publisher: &Publisher,
    embedded: bool,
) -> Result<(Arc<dyn CertificatePublisher>, Option<Arc<dyn ReadinessCheck>>)> {
    match publisher {
        Publisher::Disabled if embedded => Ok((Arc::new(LoggingPublisher), None)),
        Publisher::Disabled => Ok((Arc::new(DisabledPublisher), None)),
        Publisher::RdKafka(config) => {
            let publisher =
                Arc::new(RdKafkaPublisher::new(config.clone()).context("cannot create the rdkafka producer")?);
            publisher.clone().ensure_topic_or_keep_trying().await;
            Ok((publisher.clone(), Some(publisher)))
        }
        Publisher::KafkaRust(config) => {
            tracing::info!("kafka-rust cannot create topics: make sure {} exists", config.topic);
            let publisher = Arc::new(KafkaRustPublisher::new(config.clone()));
            Ok((publisher.clone(), Some(publisher)))
        }
    }
}
