//! Readiness: Postgres answers with every migration applied, and the broker
//! answers when Kafka is enabled. Each check is bounded in time.

use async_trait::async_trait;
use certificate_http::{DependencyStatus, ReadinessCheck};
use certificate_postgres::PgStore;

use crate::publishers::Broker;

pub struct Readiness {
    pub postgres: Option<PgStore>,
    pub broker: Option<Broker>,
}

fn status(name: &'static str, result: Result<(), String>) -> DependencyStatus {
    DependencyStatus { name, ok: result.is_ok(), error: result.err() }
}

#[async_trait]
impl ReadinessCheck for Readiness {
    async fn check(&self) -> Vec<DependencyStatus> {
        let postgres = async {
            match &self.postgres {
                Some(store) => Some(status("postgres", store.check_ready().await)),
                None => None,
            }
        };
        let broker = async {
            match &self.broker {
                Some(broker) => Some(status("kafka", broker.check().await)),
                None => None,
            }
        };
        let (postgres, broker) = tokio::join!(postgres, broker);
        postgres.into_iter().chain(broker).collect()
    }
}
