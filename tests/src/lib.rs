//! The end-to-end harness. Each test gets the service on port 0 (the
//! `Application` of certificate-service built in the test's process, or the
//! real binary for the tests that signal or kill it), its own Postgres database, its own Kafka topic on
//! the shared tansu broker, and HTTP fakes of the identity and credential
//! services; proxies let a test cut the path to Postgres or the broker
//! without disturbing the other tests.

mod app;
mod browser;
pub mod invariants;
mod kafka;
pub mod pdf;
mod private_postgres;
mod proxy;
mod tls;
mod verifier;
mod wallet;

pub use app::{command as app_command, contract_body, Answer, RawAnswer, TestApp};
pub use browser::{grave_violations, in_chromium};
pub use certificate_postgres::testing::TestDatabase;
pub use kafka::{
    consume, consume_until, create_topic, register_event_schema, schema_registry, topic_exists, ConsumedRecord,
    PrivateBroker, TopicReader, KAFKA_BROKERS,
};
pub use private_postgres::PrivatePostgres;
pub use proxy::TcpProxy;
pub use tls::TlsFront;
pub use upstream_fake::{Behaviour, FakeUpstreams};
pub use verifier::{
    dcc_verified, dcc_verified_trusting, dropped_by_json_ld, independently_verified, independently_verified_trusting,
    DccJudged, Judged,
};
pub use wallet::{claimed_by_wallet, claimed_over_vc_api, Claimed, HandWallet};

/// A file of the workspace, by its path from the workspace's root.
pub fn workspace_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Everything one test runs against.
pub struct Stack {
    pub database: TestDatabase,
    pub upstreams: FakeUpstreams,
    pub topic: String,
}

impl Stack {
    pub async fn new() -> Self {
        Self::on(TestDatabase::create().await)
    }

    /// The topic's records are validated by the broker against the event schema.
    pub fn on(database: TestDatabase) -> Self {
        let topic = format!("certificates-{}", uuid::Uuid::new_v4().simple());
        register_event_schema(&topic);
        Self { database, upstreams: FakeUpstreams::start(), topic }
    }

    /// The service's environment for this stack: Postgres, the upstream
    /// fakes, and Kafka on the test topic through `brokers`.
    pub fn env(&self, brokers: &str) -> Vec<(String, String)> {
        let url = self.upstreams.base_url();
        [
            ("DATABASE_URL", self.database.url.as_str()),
            ("RC_IDENTITY_API_BASE_URL", url.as_str()),
            ("RC_CREDENTIALS_API_BASE_URL", url.as_str()),
            ("RC_CREDENTIAL_SCHEMA_API_BASE_URL", url.as_str()),
            ("VERIFICATION_SCHEMA_URL", "https://schema.example/course-certificate/v1"),
            ("VERIFICATION_SCHEMA_NAME", "CourseCertificate"),
            ("CERTIFICATE_ISSUER_DID", "did:upai:issuer"),
            ("SCHEMA_ID", "schema-course-certificate"),
            ("UPSTREAM_TIMEOUT_MS", "1000"),
            ("kafkaEnabled", "true"),
            ("KAFKA_BROKERS", brokers),
            ("KAFKA_TOPIC", self.topic.as_str()),
            ("KAFKA_DELIVERY_TIMEOUT_MS", "3000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The service built in this process against the stack.
    pub async fn start_app(&self) -> TestApp {
        TestApp::spawn(self.env(KAFKA_BROKERS)).await
    }

    /// The real binary against the stack, for a test that signals it.
    pub async fn start_process(&self) -> TestApp {
        TestApp::process(self.env(KAFKA_BROKERS)).await
    }

    /// The stack's variables, the built-in issuer signing with
    /// [`TEST_ISSUER_SEED`] (a key file of its own), and `extra`.
    pub fn local_issuer_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let key = secret_file("issuer-key", TEST_ISSUER_SEED);
        let issuer = [("CREDENTIAL_ISSUER", "local"), ("ISSUER_KEY_FILE", key.to_str().unwrap())];
        with(with(self.env(KAFKA_BROKERS), &issuer), extra)
    }
}

/// A multibase (base58btc) Ed25519 seed: the built-in issuer's key in tests,
/// signing nothing real.
pub const TEST_ISSUER_SEED: &str = "z2rUunsq5fxGSjaHbUgj8cQbx4cR8DbPNrdcHwhG1yzJL";

/// A new file holding `contents`, readable by its owner only, as the
/// service wants a secret's file.
pub fn secret_file(name: &str, contents: &str) -> std::path::PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let path = std::env::temp_dir().join(format!("{name}-{}", uuid::Uuid::new_v4()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).unwrap();
    std::io::Write::write_all(&mut file, contents.as_bytes()).unwrap();
    path
}

/// Overrides or adds variables of an environment.
pub fn with(mut env: Vec<(String, String)>, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    for (key, value) in overrides {
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    env
}
