//! Prints the records of a topic, one JSON line each (key, headers, value):
//! `event-consumer [TOPIC] [BROKERS]`, default `user-topic` on 127.0.0.1:9092.
//! Debian's kcat is too old to talk to tansu; this uses rdkafka 2.12.

use std::time::Duration;

use certificate_system_tests::{consume, KAFKA_BROKERS};

fn main() {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "user-topic".to_owned());
    let brokers = args.next().unwrap_or_else(|| KAFKA_BROKERS.to_owned());
    for record in consume(&brokers, &topic, usize::MAX, Duration::ZERO, Duration::from_secs(5)) {
        let headers: serde_json::Map<_, _> =
            record.headers.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        println!("{}", serde_json::json!({"key": record.key, "headers": headers, "value": record.value}));
    }
}
