//! Configuration from the environment (envy), with the NestJS service's variable
//! names and defaults. A missing or invalid value stops the binary at start
//! with one line naming the variable.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use certificate_domain::RelayPolicy;
use certificate_postgres::PgConfig;
use certificate_upstream::UpstreamConfig;
use serde::Deserialize;

/// The variables as envy reads them: envy lowercases names, so the
/// NestJS service's `kafkaEnabled` arrives as `kafkaenabled`.
#[derive(Debug, Deserialize)]
struct Env {
    #[serde(default = "number::<u16, 3000>")]
    port: u16,
    http_workers: Option<usize>,
    log_format: Option<String>,

    kafkaenabled: Option<bool>,
    kafka_enabled: Option<bool>,
    #[serde(default = "default_brokers")]
    kafka_brokers: String,
    #[serde(default = "default_client_id")]
    kafka_client_id: String,
    #[serde(default = "default_topic")]
    kafka_topic: String,
    kafka_client: Option<String>,
    #[serde(default = "number::<i32, 1>")]
    kafka_topic_partitions: i32,
    #[serde(default = "number::<i32, 1>")]
    kafka_topic_replication_factor: i32,
    #[serde(default = "number::<u64, 10_000>")]
    kafka_delivery_timeout_ms: u64,

    rc_identity_api_base_url: Option<String>,
    rc_credentials_api_base_url: Option<String>,
    verification_schema_url: Option<String>,
    verification_schema_name: Option<String>,
    certificate_issuer_did: Option<String>,
    schema_id: Option<String>,
    #[serde(default = "number::<u64, 2_000>")]
    upstream_connect_timeout_ms: u64,
    #[serde(default = "number::<u64, 5_000>")]
    upstream_timeout_ms: u64,
    #[serde(default = "number::<u32, 2>")]
    upstream_retries: u32,

    database_url: Option<String>,
    postgres_host: Option<String>,
    #[serde(default = "number::<u16, 5432>")]
    postgres_port: u16,
    postgres_database: Option<String>,
    postgres_username: Option<String>,
    postgres_password: Option<String>,
    #[serde(default = "number::<usize, 16>")]
    db_pool_size: usize,
    #[serde(default = "number::<u64, 5_000>")]
    db_timeout_ms: u64,
    #[serde(default = "number::<u64, 15_000>")]
    db_record_retry_ms: u64,

    #[serde(default = "number::<u64, 30_000>")]
    claim_lease_ms: u64,
    #[serde(default = "number::<u64, 50>")]
    outbox_poll_interval_ms: u64,
    outbox_batch_size: Option<usize>,
    outbox_max_attempts: Option<u32>,
    outbox_base_backoff_ms: Option<u64>,
    outbox_max_backoff_ms: Option<u64>,
    #[serde(default = "number::<u64, 1_000>")]
    outbox_handoff_ms: u64,
    outbox_retention: Option<String>,
    #[serde(default = "number::<u64, 25>")]
    shutdown_grace_seconds: u64,
}

/// A numeric default for serde, written where the field is.
fn number<T: From<u16>, const N: u16>() -> T {
    T::from(N)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaClient {
    RdKafka,
    KafkaRust,
}

#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub enabled: bool,
    pub client: KafkaClient,
    pub brokers: String,
    pub client_id: String,
    pub topic: String,
    pub partitions: i32,
    pub replication: i32,
    pub delivery_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub http_workers: usize,
    pub log_format: LogFormat,
    /// `None`: no database configured, the in-memory store is used.
    pub database: Option<PgConfig>,
    /// `None`: no upstream configured, the in-process fake is used.
    pub upstream: Option<UpstreamConfig>,
    pub kafka: KafkaSettings,
    pub claim_lease: Duration,
    pub relay: RelayPolicy,
    pub relay_poll_interval: Duration,
    /// How long the poller leaves a fresh event to the relay of the process
    /// that recorded it.
    pub relay_handoff: Duration,
    /// How long published events, released claims and idempotency keys are kept.
    pub retention: Duration,
    pub shutdown_grace: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self> {
        let env: Env = envy::from_env().map_err(|e| anyhow!("{e}"))?;
        Self::from(env)
    }

    /// Serving needs both a database and the upstreams, or neither (embedded
    /// mode); the operator commands need only the database.
    pub fn check_servable(&self) -> Result<()> {
        match (&self.database, &self.upstream) {
            (Some(_), None) => bail!("RC_IDENTITY_API_BASE_URL is required when a database is configured"),
            (None, Some(_)) => bail!("DATABASE_URL or POSTGRES_HOST is required when the upstreams are configured"),
            _ => Ok(()),
        }
    }

    /// Embedded mode: neither a database nor the upstreams are configured.
    pub fn embedded(&self) -> bool {
        self.database.is_none() && self.upstream.is_none()
    }

    fn from(env: Env) -> Result<Self> {
        let database = database(&env)?;
        let upstream = upstream(&env)?;
        let defaults = RelayPolicy::default();
        Ok(Self {
            port: env.port,
            http_workers: env
                .http_workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
            log_format: log_format(env.log_format.as_deref())?,
            kafka: kafka(&env)?,
            claim_lease: Duration::from_millis(env.claim_lease_ms),
            relay: RelayPolicy {
                batch_size: env.outbox_batch_size.unwrap_or(defaults.batch_size),
                max_attempts: env.outbox_max_attempts.unwrap_or(defaults.max_attempts),
                base_backoff: env.outbox_base_backoff_ms.map_or(defaults.base_backoff, Duration::from_millis),
                max_backoff: env.outbox_max_backoff_ms.map_or(defaults.max_backoff, Duration::from_millis),
            },
            relay_poll_interval: Duration::from_millis(env.outbox_poll_interval_ms),
            relay_handoff: Duration::from_millis(env.outbox_handoff_ms),
            retention: match env.outbox_retention.as_deref() {
                Some(text) => parse_duration(text).map_err(|e| anyhow!("OUTBOX_RETENTION: {e}"))?,
                None => DEFAULT_RETENTION,
            },
            shutdown_grace: Duration::from_secs(env.shutdown_grace_seconds),
            database,
            upstream,
        })
    }
}

const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// A duration as an operator writes it: a whole number and a unit, `s`, `m`,
/// `h` or `d` (`7d`, `36h`).
pub fn parse_duration(text: &str) -> Result<Duration> {
    let digits = text.trim_end_matches(char::is_alphabetic);
    let seconds_per_unit = match &text[digits.len()..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("'{text}' is not a duration such as 7d, 36h, 30m or 90s"),
    };
    let count: u64 = digits.parse().map_err(|_| anyhow!("'{text}' is not a duration such as 7d, 36h, 30m or 90s"))?;
    Ok(Duration::from_secs(count.saturating_mul(seconds_per_unit)))
}

fn log_format(value: Option<&str>) -> Result<LogFormat> {
    match value.unwrap_or("json") {
        "json" => Ok(LogFormat::Json),
        "text" => Ok(LogFormat::Text),
        other => bail!("LOG_FORMAT must be json or text, not '{other}'"),
    }
}

fn kafka(env: &Env) -> Result<KafkaSettings> {
    let client = match env.kafka_client.as_deref().unwrap_or("rdkafka") {
        "rdkafka" => KafkaClient::RdKafka,
        "kafka-rust" => KafkaClient::KafkaRust,
        other => bail!("KAFKA_CLIENT must be rdkafka or kafka-rust, not '{other}'"),
    };
    if env.kafka_topic_partitions < 1 || env.kafka_topic_replication_factor < 1 {
        bail!("KAFKA_TOPIC_PARTITIONS and KAFKA_TOPIC_REPLICATION_FACTOR must be at least 1");
    }
    Ok(KafkaSettings {
        enabled: env.kafkaenabled.or(env.kafka_enabled).unwrap_or(false),
        client,
        brokers: env.kafka_brokers.clone(),
        client_id: env.kafka_client_id.clone(),
        topic: env.kafka_topic.clone(),
        partitions: env.kafka_topic_partitions,
        replication: env.kafka_topic_replication_factor,
        delivery_timeout: Duration::from_millis(env.kafka_delivery_timeout_ms),
    })
}

fn required(value: &Option<String>, name: &str, because: &str) -> Result<String> {
    match value {
        Some(v) if !v.is_empty() => Ok(v.clone()),
        _ => bail!("{name} is required when {because} is set"),
    }
}

/// `DATABASE_URL` wins over the `POSTGRES_*` variables when both are set.
fn database(env: &Env) -> Result<Option<PgConfig>> {
    let url = match (&env.database_url, &env.postgres_host) {
        (Some(url), _) if !url.is_empty() => url.clone(),
        (_, Some(host)) if !host.is_empty() => {
            let because = "POSTGRES_HOST";
            let database = required(&env.postgres_database, "POSTGRES_DATABASE", because)?;
            let user = required(&env.postgres_username, "POSTGRES_USERNAME", because)?;
            let password =
                env.postgres_password.as_deref().map(|p| format!(":{}", percent_encode(p))).unwrap_or_default();
            format!("postgres://{}{password}@{host}:{}/{database}", percent_encode(&user), env.postgres_port)
        }
        _ => return Ok(None),
    };
    if env.db_pool_size == 0 {
        bail!("DB_POOL_SIZE must be at least 1");
    }
    Ok(Some(PgConfig {
        url,
        pool_size: env.db_pool_size,
        timeout: Duration::from_millis(env.db_timeout_ms),
        record_retry_window: Duration::from_millis(env.db_record_retry_ms),
    }))
}

fn upstream(env: &Env) -> Result<Option<UpstreamConfig>> {
    let identity = env.rc_identity_api_base_url.as_ref().filter(|u| !u.is_empty());
    let credentials = env.rc_credentials_api_base_url.as_ref().filter(|u| !u.is_empty());
    if identity.is_none() && credentials.is_none() {
        return Ok(None);
    }
    let because = "an upstream URL";
    Ok(Some(UpstreamConfig {
        identity_base_url: required(&env.rc_identity_api_base_url, "RC_IDENTITY_API_BASE_URL", because)?,
        credentials_base_url: required(&env.rc_credentials_api_base_url, "RC_CREDENTIALS_API_BASE_URL", because)?,
        verification_schema_url: required(&env.verification_schema_url, "VERIFICATION_SCHEMA_URL", because)?,
        verification_schema_name: required(&env.verification_schema_name, "VERIFICATION_SCHEMA_NAME", because)?,
        certificate_issuer_did: required(&env.certificate_issuer_did, "CERTIFICATE_ISSUER_DID", because)?,
        schema_id: required(&env.schema_id, "SCHEMA_ID", because)?,
        connect_timeout: Duration::from_millis(env.upstream_connect_timeout_ms),
        timeout: Duration::from_millis(env.upstream_timeout_ms),
        retries: env.upstream_retries,
    }))
}

/// Userinfo of a URL: everything but unreserved characters is escaped.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config> {
        let env: Env = envy::from_iter(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))?;
        let config = Config::from(env)?;
        config.check_servable()?;
        Ok(config)
    }

    #[test]
    fn the_operator_commands_need_only_the_database() {
        let env: Env = envy::from_iter([("DATABASE_URL".to_owned(), "postgres://a@b/c".to_owned())]).unwrap();
        let config = Config::from(env).unwrap();
        assert_eq!(config.database.unwrap().url, "postgres://a@b/c");
    }

    const UPSTREAM: [(&str, &str); 6] = [
        ("RC_IDENTITY_API_BASE_URL", "http://id"),
        ("RC_CREDENTIALS_API_BASE_URL", "http://cred"),
        ("VERIFICATION_SCHEMA_URL", "https://schema"),
        ("VERIFICATION_SCHEMA_NAME", "Course"),
        ("CERTIFICATE_ISSUER_DID", "did:upai:issuer"),
        ("SCHEMA_ID", "s1"),
    ];

    #[test]
    fn durations_read_as_an_operator_writes_them() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_duration("36h").unwrap(), Duration::from_secs(36 * 3600));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("1w").is_err());
        assert_eq!(config(&[]).unwrap().retention, Duration::from_secs(7 * 86_400));
        assert!(config(&[("OUTBOX_RETENTION", "soon")]).unwrap_err().to_string().contains("OUTBOX_RETENTION"));
    }

    #[test]
    fn nothing_configured_is_the_embedded_default() {
        let config = config(&[]).unwrap();
        assert!(config.embedded());
        assert_eq!(config.port, 3000);
        assert!(!config.kafka.enabled);
        assert_eq!((config.kafka.topic.as_str(), config.kafka.brokers.as_str()), ("user-topic", "localhost:9092"));
        assert_eq!(config.kafka.client_id, "tracking-service");
    }

    #[test]
    fn database_url_wins_over_postgres_variables() {
        let mut vars = UPSTREAM.to_vec();
        vars.extend([("DATABASE_URL", "postgres://a@b/c"), ("POSTGRES_HOST", "elsewhere")]);
        assert_eq!(config(&vars).unwrap().database.unwrap().url, "postgres://a@b/c");
    }

    #[test]
    fn postgres_variables_build_an_escaped_url() {
        let mut vars = UPSTREAM.to_vec();
        vars.extend([
            ("POSTGRES_HOST", "db"),
            ("POSTGRES_DATABASE", "tracking"),
            ("POSTGRES_USERNAME", "svc"),
            ("POSTGRES_PASSWORD", "p@ss:w/rd"),
        ]);
        assert_eq!(config(&vars).unwrap().database.unwrap().url, "postgres://svc:p%40ss%3Aw%2Frd@db:5432/tracking");
    }

    #[test]
    fn a_missing_or_invalid_variable_is_named() {
        let error = |vars: &[(&str, &str)]| config(vars).unwrap_err().to_string();
        assert!(error(&[("PORT", "http")]).contains("PORT"));
        assert!(error(&[("KAFKA_CLIENT", "java")]).contains("KAFKA_CLIENT"));
        assert!(error(&[("kafkaEnabled", "maybe")]).contains("kafkaEnabled"));
        assert!(error(&[("RC_IDENTITY_API_BASE_URL", "http://id")]).contains("RC_CREDENTIALS_API_BASE_URL"));
        assert!(error(&[("DATABASE_URL", "postgres://a@b/c")]).contains("RC_IDENTITY_API_BASE_URL"));
        assert!(error(&[("POSTGRES_HOST", "db")]).contains("POSTGRES_DATABASE"));
        assert!(error(&UPSTREAM).contains("DATABASE_URL"));
    }

    #[test]
    fn both_spellings_of_kafka_enabled_are_read() {
        assert!(config(&[("kafkaEnabled", "true")]).unwrap().kafka.enabled);
        assert!(config(&[("KAFKA_ENABLED", "true")]).unwrap().kafka.enabled);
    }
}
