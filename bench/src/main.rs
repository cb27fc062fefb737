//! `certificate-bench count-events TOPIC BROKERS PREFIX`: reads the topic from
//! the beginning and prints how many records, and how many distinct event ids,
//! have a `courseId` starting with PREFIX.
//!
//! `certificate-bench produce TOPIC BROKERS COUNT KEYS`: sends COUNT records
//! shaped like the service's events, over KEYS distinct keys, with the relay's
//! producer settings (idempotent, acks=all, murmur2, 2 headers) and prints the
//! seconds until all are acknowledged.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::stream::{FuturesUnordered, StreamExt};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};

fn count_events(topic: &str, brokers: &str, prefix: &str) -> Result<()> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bench-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .create()?;
    let mut partitions = TopicPartitionList::new();
    partitions.add_partition_offset(topic, 0, Offset::Beginning)?;
    consumer.assign(&partitions)?;
    let (mut records, mut ids) = (0u64, HashSet::new());
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_secs(3) {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else { continue };
        let message = message?;
        quiet_since = Instant::now();
        let event: serde_json::Value = serde_json::from_slice(message.payload().unwrap_or_default())?;
        if event["data"]["courseId"].as_str().is_some_and(|c| c.starts_with(prefix)) {
            records += 1;
            ids.insert(event["eventId"].as_str().unwrap_or_default().to_owned());
        }
    }
    println!("{{\"records\": {records}, \"distinct_event_ids\": {}}}", ids.len());
    Ok(())
}

async fn create_topic(topic: &str, brokers: &str) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new().set("bootstrap.servers", brokers).create()?;
    let new_topic = NewTopic::new(topic, 1, TopicReplication::Fixed(1));
    for result in admin.create_topics([&new_topic], &AdminOptions::new()).await? {
        result.map_err(|(name, code)| anyhow::anyhow!("cannot create {name}: {code}"))?;
    }
    Ok(())
}

async fn produce(topic: &str, brokers: &str, count: usize, keys: usize) -> Result<()> {
    create_topic(topic, brokers).await?;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "0")
        .set("message.timeout.ms", "30000")
        .create()?;
    let payload = format!(
        "{{\"eventId\":\"{}\",\"eventType\":\"COURSE_STATUS_UPDATED\",\"timestamp\":\"2026-11-26T10:30:00.000Z\",\"data\":{{\"userId\":\"af771398-bc1a-4350-b849-907561d25957\",\"courseId\":\"do_21430769261883392012483\",\"courseName\":\"Introduction to Programming\",\"certificateId\":\"did:upai:cert0123456789abcdef0123456789abcdef\",\"firstName\":\"John\",\"lastName\":\"Doe\",\"issuanceDate\":\"2025-10-13T00:00:00.000Z\",\"expirationDate\":\"2026-10-13T00:00:00.000Z\",\"status\":\"viewCertificate\",\"eventType\":\"CERTIFICATE_ISSUED\"}}}}",
        uuid::Uuid::nil()
    );
    let started = Instant::now();
    // As many in flight as the relay has: one batch of 500 at a time.
    for chunk_start in (0..count).step_by(500) {
        let mut deliveries = FuturesUnordered::new();
        for i in chunk_start..(chunk_start + 500).min(count) {
            let key = format!("bench-raw-{}", i % keys.max(1));
            let event_id = uuid::Uuid::new_v4().to_string();
            let producer = &producer;
            let payload = &payload;
            deliveries.push(async move {
                let headers = OwnedHeaders::new()
                    .insert(Header { key: "ce_id", value: Some(&event_id) })
                    .insert(Header { key: "content-type", value: Some("application/json") });
                let record = FutureRecord::to(topic).key(&key).payload(payload).headers(headers);
                producer.send(record, Timeout::After(Duration::from_secs(30))).await.map_err(|(e, _)| e)
            });
        }
        while let Some(result) = deliveries.next().await {
            result.context("a raw record was not acknowledged")?;
        }
    }
    println!("{{\"records\": {count}, \"seconds\": {:.3}}}", started.elapsed().as_secs_f64());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["count-events", topic, brokers, prefix] => count_events(topic, brokers, prefix),
        ["produce", topic, brokers, count, keys] => produce(topic, brokers, count.parse()?, keys.parse()?).await,
        _ => bail!("usage: certificate-bench count-events TOPIC BROKERS PREFIX | produce TOPIC BROKERS COUNT KEYS"),
    }
}
