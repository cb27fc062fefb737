//! The `CertificatePublisher` contract.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::request;
use crate::model::CertificateEvent;
use crate::ports::{CertificatePublisher, PendingEvent};

/// A record as a publisher's destination received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub key: String,
    pub payload: String,
    pub headers: Vec<(String, String)>,
}

/// Where a publisher's records can be read back from: a consumer of the
/// broker's topic, the log the embedded publisher writes, a double's list.
pub trait Destination: Send + Sync {
    /// Every record received so far, in the order received, waiting (within
    /// a bound of the destination's) until there are at least `at_least`.
    fn received(&self, at_least: usize) -> Vec<Received>;
}

/// Runs every check of the publisher contract on a publisher whose broker
/// (if it has one) is up and has its topic, reading back what it sent from
/// `destination`. With `event_id_header`, every record carries the event's
/// id in that header.
pub async fn check_publisher(
    publisher: &dyn CertificatePublisher,
    destination: &dyn Destination,
    event_id_header: Option<&str>,
) {
    assert!(publisher.publish(&[]).await.is_empty(), "an empty batch is answered with nothing");
    let batch = events(&[("course-a", 3), ("course-b", 2)]);
    let results = publisher.publish(&batch).await;
    assert_eq!(results.len(), batch.len(), "one result per event, in order");
    assert!(results.iter().all(Result::is_ok), "a reachable broker acknowledges every event: {results:?}");
    let again = publisher.publish(&batch[..1]).await;
    assert!(again[0].is_ok(), "a redelivered event (same id) is accepted again: at-least-once, {again:?}");
    publisher.flush(Duration::from_secs(5)).await;

    let sent: Vec<&PendingEvent> = batch.iter().chain(&batch[..1]).collect();
    let received = destination.received(sent.len());
    assert_eq!(received.len(), sent.len(), "every acknowledged event arrived, once: {received:#?}");
    for (event, record) in sent.iter().zip(&received) {
        assert_eq!((&record.key, &record.payload), (&event.key, &event.payload), "key and value as given, in order");
        if let Some(name) = event_id_header {
            let header = record.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
            assert_eq!(header, Some(event.event_id.to_string().as_str()), "the {name} header names the event");
        }
    }
}

/// Runs every check of the publisher contract on a publisher whose broker
/// cannot be reached: each event fails, none is lost silently, and the call
/// comes back within `bound` instead of hanging.
pub async fn check_unreachable_publisher(publisher: &dyn CertificatePublisher, bound: Duration) {
    let batch = events(&[("course-a", 2), ("course-b", 1)]);
    let results =
        tokio::time::timeout(bound, publisher.publish(&batch)).await.expect("publish answers within its bound");
    assert_eq!(results.len(), batch.len(), "one result per event, in order");
    assert!(results.iter().all(Result::is_err), "nothing counts as published without a broker: {results:?}");
}

/// `count` events of each learner-less key, as the outbox would hand them out.
fn events(keys: &[(&str, usize)]) -> Vec<PendingEvent> {
    let mut id = 0;
    let mut events = Vec::new();
    for (course_id, count) in keys {
        for _ in 0..*count {
            id += 1;
            let request = request(Uuid::new_v4(), course_id, false);
            let event = CertificateEvent::certificate_issued(&request, "did:contract", Uuid::new_v4(), Utc::now());
            events.push(PendingEvent::recorded(id, &event));
        }
    }
    events
}
