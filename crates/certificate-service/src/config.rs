//! Configuration from the environment (envy), with the NestJS service's
//! variable names and defaults (docs/contract.md). Each adapter reads its own
//! variables (`PgConfig`, `UpstreamConfig`, the Kafka configs); this reads the
//! service's and which adapters to use. A missing or invalid value stops the
//! binary at start with one line naming the variable.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use certificate_chromium::ChromiumConfig;
use certificate_cli::parse_duration;
use certificate_credential_service::UpstreamConfig;
use certificate_domain::RelayPolicy;
use certificate_http::HttpConfig;
use certificate_kafka_rust::KafkaRustConfig;
use certificate_local_issuer::{check_publishable, key_from_file, keyring_from_file, Keyring, LocalIssuerConfig};
use certificate_postgres::PgConfig;
use certificate_rdkafka::RdKafkaConfig;
use serde::Deserialize;

/// The service's own variables as envy reads them: envy lowercases names,
/// so the NestJS service's `kafkaEnabled` arrives as `kafkaenabled`.
#[derive(Debug, Deserialize)]
struct Env {
    log_format: Option<String>,
    kafkaenabled: Option<bool>,
    kafka_enabled: Option<bool>,
    kafka_client: Option<String>,
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
    revoke_on_reissue: Option<bool>,
    credential_issuer: Option<String>,
    issuer_key_file: Option<std::path::PathBuf>,
    issuer_keys_file: Option<std::path::PathBuf>,
    #[serde(default = "number::<u64, 25>")]
    shutdown_grace_seconds: u64,
    public_base_url: Option<String>,
    #[serde(default = "number::<usize, 32>")]
    render_cache_mib: usize,
    #[serde(default = "number::<u64, 300>")]
    status_list_ttl_seconds: u64,
    #[serde(default = "number::<u64, 30>")]
    wallet_offer_ttl_minutes: u64,
    #[serde(default = "number::<u16, 3>")]
    wallet_tx_code_attempts: u16,
    #[serde(default = "number::<usize, 32>")]
    bulk_concurrency: usize,
    #[serde(default = "number::<usize, 50_000>")]
    bulk_max_rows: usize,
}

/// A numeric default for serde, written where the field is.
fn number<T: From<u16>, const N: u16>() -> T {
    T::from(N)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// Where events go: nowhere (`kafkaEnabled` unset or false), or a broker
/// through one of the two clients.
#[derive(Debug, Clone)]
pub enum Publisher {
    Disabled,
    RdKafka(RdKafkaConfig),
    KafkaRust(KafkaRustConfig),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub http: HttpConfig,
    pub log_format: LogFormat,
    /// `None`: no database configured, the in-memory store is used.
    pub database: Option<PgConfig>,
    /// Who signs the credentials.
    pub issuer: Issuer,
    pub publisher: Publisher,
    pub claim_lease: Duration,
    pub relay: RelayPolicy,
    pub relay_poll_interval: Duration,
    /// How long the poller leaves a fresh event to the relay of the process
    /// that recorded it.
    pub relay_handoff: Duration,
    /// How long published events, released claims and idempotency keys are kept.
    pub retention: Duration,
    /// Whether a re-issue revokes the credential it supersedes.
    pub revoke_on_reissue: bool,
    pub shutdown_grace: Duration,
    /// Where the service is reached from outside (the QR code's verify URL);
    /// `None`: `http://localhost:<the port it listens on>`.
    pub public_base_url: Option<String>,
    /// How many bytes of renderings each cache (HTML, PDF) keeps.
    pub render_cache_bytes: usize,
    pub chromium: ChromiumConfig,
    /// How long a verifier may keep a status list; replicas look for changes
    /// ten times within it.
    pub status_list_ttl: Duration,
    /// How long a wallet offer's pre-authorized code works.
    pub wallet_offer_ttl: Duration,
    /// Wrong transaction codes that kill an offer.
    pub wallet_tx_code_attempts: u8,
    /// Rows of bulk jobs issued at once by each replica.
    pub bulk_concurrency: usize,
    pub bulk_max_rows: usize,
}

const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

impl Config {
    pub fn from_env() -> Result<Self> {
        Self::from_vars(std::env::vars().collect())
    }

    /// The configuration of a list of variables, as the environment would hold them.
    pub fn from_vars(vars: Vec<(String, String)>) -> Result<Self> {
        let env: Env = envy::from_iter(vars.clone())?;
        let defaults = RelayPolicy::default();
        let config = Self {
            http: HttpConfig::from_vars(vars.clone().into_iter())?,
            log_format: match env.log_format.as_deref().unwrap_or("json") {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                other => bail!("LOG_FORMAT must be json or text, not '{other}'"),
            },
            publisher: publisher(&env, vars.clone())?,
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
            public_base_url: env.public_base_url.clone().map(|url| url.trim_end_matches('/').to_owned()),
            render_cache_bytes: env.render_cache_mib * 1024 * 1024,
            status_list_ttl: Duration::from_secs(env.status_list_ttl_seconds.max(1)),
            wallet_offer_ttl: Duration::from_secs(env.wallet_offer_ttl_minutes.max(1) * 60),
            bulk_concurrency: env.bulk_concurrency.max(1),
            bulk_max_rows: env.bulk_max_rows.max(1),
            wallet_tx_code_attempts: match u8::try_from(env.wallet_tx_code_attempts) {
                Ok(attempts @ 1..) => attempts,
                _ => bail!("WALLET_TX_CODE_ATTEMPTS must be between 1 and 255"),
            },
            chromium: ChromiumConfig::from_vars(vars.clone().into_iter())?,
            revoke_on_reissue: env.revoke_on_reissue.unwrap_or(true),
            issuer: issuer(&env, UpstreamConfig::from_vars(vars.clone().into_iter())?, vars.clone())?,
            database: PgConfig::from_vars(vars.into_iter())?,
        };
        config.check_claim_lease()?;
        Ok(config)
    }

    /// The longest a credential call can take, retries included (zero for
    /// the built-in issuer, which answers in process).
    pub fn issue_call_bound(&self) -> Duration {
        match &self.issuer {
            Issuer::Rc(upstream) => upstream.longest_issue_call(),
            Issuer::Local(..) => Duration::ZERO,
        }
    }

    /// A lease no longer than a credential call would fail every issuance
    /// (each gives up before a call its claim could not outlast).
    fn check_claim_lease(&self) -> Result<()> {
        let bound = self.issue_call_bound();
        if self.claim_lease <= bound {
            bail!(
                "CLAIM_LEASE_MS ({} ms) must be longer than a credential issue call can take ({} ms: \
                 UPSTREAM_RETRIES connect attempts of UPSTREAM_CONNECT_TIMEOUT_MS, then UPSTREAM_TIMEOUT_MS); \
                 the default, 30000, leaves room for the identity call too",
                self.claim_lease.as_millis(),
                bound.as_millis()
            );
        }
        Ok(())
    }

    /// Serving with a database needs Sunbird RC or a key of its own (a
    /// generated key would die with the process); Sunbird RC needs a
    /// database. The operator commands need only the database.
    pub fn check_servable(&self) -> Result<()> {
        match (&self.database, &self.issuer) {
            (Some(_), Issuer::Local(None, _)) => {
                bail!(
                    "with a database, ISSUER_KEY_FILE or ISSUER_KEYS_FILE (the built-in issuer) or RC_IDENTITY_API_BASE_URL and \
                     RC_CREDENTIALS_API_BASE_URL (Sunbird RC) is required"
                )
            }
            (None, Issuer::Rc(_)) => {
                bail!("DATABASE_URL or POSTGRES_HOST is required when the upstreams are configured")
            }
            _ => Ok(()),
        }
    }

    /// Embedded mode: no database, and no Sunbird RC.
    pub fn embedded(&self) -> bool {
        self.database.is_none() && matches!(self.issuer, Issuer::Local(..))
    }
}

/// Who signs: Sunbird RC (`rc`, the default whenever its URLs are set) or
/// this service with its own key (`local`; `None`: a key made at start) and
/// the built-in issuer's settings.
#[derive(Debug, Clone)]
pub enum Issuer {
    Rc(UpstreamConfig),
    Local(Option<Keyring>, LocalIssuerConfig),
}

fn issuer(env: &Env, upstream: Option<UpstreamConfig>, vars: Vec<(String, String)>) -> Result<Issuer> {
    let default = if upstream.is_some() { "rc" } else { "local" };
    match (env.credential_issuer.as_deref().unwrap_or(default), upstream) {
        ("rc", Some(upstream)) => Ok(Issuer::Rc(upstream)),
        ("rc", None) => bail!("CREDENTIAL_ISSUER=rc needs RC_IDENTITY_API_BASE_URL and RC_CREDENTIALS_API_BASE_URL"),
        ("local", _) => {
            let settings = LocalIssuerConfig::from_vars(vars.into_iter()).map_err(|message| anyhow!(message))?;
            let keyring = match (&env.issuer_key_file, &env.issuer_keys_file) {
                (Some(_), Some(_)) => bail!("ISSUER_KEY_FILE and ISSUER_KEYS_FILE are both set: keep one"),
                (Some(file), None) => Some(Keyring::single(&key_from_file(file).map_err(|message| anyhow!(message))?)),
                (None, Some(file)) => Some(keyring_from_file(file).map_err(|message| anyhow!(message))?),
                (None, None) => None,
            };
            if let Some(keyring) = &keyring {
                check_publishable(keyring, &settings).map_err(|message| anyhow!("ISSUER_KEYS_FILE: {message}"))?;
            }
            Ok(Issuer::Local(keyring, settings))
        }
        (other, _) => bail!("CREDENTIAL_ISSUER must be local or rc, not '{other}'"),
    }
}

/// The client's own variables are read only when Kafka is enabled.
fn publisher(env: &Env, vars: Vec<(String, String)>) -> Result<Publisher> {
    let rdkafka = match env.kafka_client.as_deref().unwrap_or("rdkafka") {
        "rdkafka" => true,
        "kafka-rust" => false,
        other => bail!("KAFKA_CLIENT must be rdkafka or kafka-rust, not '{other}'"),
    };
    if !env.kafkaenabled.or(env.kafka_enabled).unwrap_or(false) {
        return Ok(Publisher::Disabled);
    }
    let vars = vars.into_iter();
    Ok(if rdkafka {
        Publisher::RdKafka(RdKafkaConfig::from_vars(vars)?)
    } else {
        Publisher::KafkaRust(KafkaRustConfig::from_vars(vars)?)
    })
}
