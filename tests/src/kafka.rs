use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

/// The broker `make test` starts (tansu).
pub const KAFKA_BROKERS: &str = "127.0.0.1:9092";

#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedRecord {
    pub key: Option<String>,
    /// The value as sent, and parsed as JSON (`Null` if it is not).
    pub payload: String,
    pub value: serde_json::Value,
    pub headers: Vec<(String, String)>,
}

impl ConsumedRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn consumer(brokers: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("e2e-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .create()
        .expect("create an rdkafka consumer")
}

/// Whether the broker knows the topic (without creating it).
pub fn topic_exists(brokers: &str, topic: &str) -> bool {
    let metadata = consumer(brokers).fetch_metadata(None, Duration::from_secs(5)).expect("broker metadata");
    metadata.topics().iter().any(|t| t.name() == topic && t.error().is_none())
}

/// Reads partition 0 of `topic` from the beginning until `expected` records
/// arrived and then `settle` passed with nothing new, or until `timeout`.
pub fn consume(
    brokers: &str,
    topic: &str,
    expected: usize,
    settle: Duration,
    timeout: Duration,
) -> Vec<ConsumedRecord> {
    consume_until(brokers, topic, timeout, |records, idle| records.len() >= expected && idle >= settle)
}

/// Reads partition 0 of `topic` from the beginning until `done` says so
/// (given the records so far and how long nothing new came), or `timeout`.
pub fn consume_until(
    brokers: &str,
    topic: &str,
    timeout: Duration,
    mut done: impl FnMut(&[ConsumedRecord], Duration) -> bool,
) -> Vec<ConsumedRecord> {
    let consumer = consumer(brokers);
    let mut partitions = TopicPartitionList::new();
    partitions.add_partition_offset(topic, 0, Offset::Beginning).expect("partition 0");
    consumer.assign(&partitions).expect("assign partition 0");
    let started = Instant::now();
    let mut last_record = Instant::now();
    let mut records = Vec::new();
    while started.elapsed() < timeout && !done(&records, last_record.elapsed()) {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            last_record = Instant::now();
            records.push(ConsumedRecord {
                key: message.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                payload: String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned(),
                value: serde_json::from_slice(message.payload().unwrap_or_default()).unwrap_or(serde_json::Value::Null),
                headers: message
                    .headers()
                    .map(|headers| {
                        headers
                            .iter()
                            .map(|h| {
                                (h.key.to_owned(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    records
}

/// A tansu broker of one test's own, reached only through a proxy that the
/// test can cut: the broker advertises the proxy's port, so every client
/// connection goes through it. Its records live as long as the process. It
/// validates records against the same schema registry as the shared broker.
pub struct PrivateBroker {
    pub proxy: crate::TcpProxy,
    process: std::process::Child,
}

impl PrivateBroker {
    /// A port is free when picked but may be taken before tansu binds it:
    /// then tansu exits, and another port is tried.
    pub fn start() -> Self {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let proxy = crate::TcpProxy::start(([127, 0, 0, 1], port).into());
            if let Some(process) = start_tansu(port, &proxy.address()) {
                return Self { proxy, process };
            }
        }
        panic!("tansu did not start on any of 5 free ports");
    }

    pub fn brokers(&self) -> String {
        self.proxy.address()
    }
}

/// tansu listening on `port` and advertising `advertised`; `None` if it
/// exited (its port was taken).
fn start_tansu(port: u16, advertised: &str) -> Option<std::process::Child> {
    let registry = schema_registry();
    let mut process = std::process::Command::new("tansu")
        .current_dir(registry.parent().expect("the registry is a subfolder"))
        .args(["broker", "--storage-engine", "memory://tansu/", "--schema-registry", "file://./schemas"])
        .arg("--listener-url")
        .arg(format!("tcp://127.0.0.1:{port}"))
        .arg("--advertised-listener-url")
        .arg(format!("tcp://{advertised}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start tansu (make deps installs it)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "tansu did not start");
        if process.try_wait().expect("tansu's status").is_some() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // What answered may be another process that took the port: tansu then exits.
    std::thread::sleep(Duration::from_millis(100));
    match process.try_wait().expect("tansu's status") {
        None => Some(process),
        Some(_) => None,
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The schema registry of the brokers: deploy/local/tansu.sh's, which the
/// private brokers share.
pub fn schema_registry() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tmp/schemas")
}

/// Makes the brokers validate every record of `topic` against the event
/// schema (schemas/user-topic.json, as for the production topic).
pub fn register_event_schema(topic: &str) {
    let registry = schema_registry();
    std::fs::create_dir_all(&registry).expect("create the schema registry");
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/user-topic.json");
    std::fs::copy(schema, registry.join(format!("{topic}.json"))).expect("register the topic's schema");
}

/// Creates a one-partition topic, as an operator would before using a client
/// that cannot create topics (kafka-rust).
pub async fn create_topic(brokers: &str, topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers).create().expect("an admin client");
    let results = admin
        .create_topics([&NewTopic::new(topic, 1, TopicReplication::Fixed(1))], &AdminOptions::new())
        .await
        .expect("create the topic");
    for result in results {
        result.expect("the topic is created");
    }
}

/// A topic read from its beginning: where the publisher contract reads back
/// what a Kafka adapter sent.
pub struct TopicReader {
    pub brokers: String,
    pub topic: String,
}

impl certificate_domain::contract::Destination for TopicReader {
    fn received(&self, at_least: usize) -> Vec<certificate_domain::contract::Received> {
        let records = consume(&self.brokers, &self.topic, at_least, Duration::from_secs(1), Duration::from_secs(20));
        records
            .into_iter()
            .map(|record| certificate_domain::contract::Received {
                key: record.key.unwrap_or_default(),
                payload: record.payload,
                headers: record.headers,
            })
            .collect()
    }
}
