//! The `GaugeSource` contract: the figures a scrape reads are the outbox's
//! and the revocation queue's as they stand, so that the dashboards'
//! alerts (events waiting, dead events, revocations owed) mean the same on
//! every store.

use std::future::Future;
use std::time::Duration;

use uuid::Uuid;

use super::{acquire, claim_request, record, request, LEASE};
use crate::ports::{
    CertificateRepo, DeliverBatch, Delivery, EventOutbox, FailedDelivery, GaugeSource, PendingEvent, Selection,
};

/// Runs the check on a store from `fresh`: nothing on a fresh store; events
/// recorded are pending, the oldest one's time given; a dead event counts
/// as dead and no longer as pending; a published one as neither; a re-issue
/// owes the revocation of what it superseded.
pub async fn check_gauges<S, F, Fut>(fresh: F)
where
    S: CertificateRepo + EventOutbox + GaugeSource,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = fresh().await;
    let empty = store.gauges().await.expect("gauges");
    assert_eq!((empty.pending, empty.dead, empty.revocations_pending), (0, 0, 0), "a fresh store");
    assert_eq!(empty.oldest_pending, None, "nothing is waiting on a fresh store");

    let learner = Uuid::new_v4();
    let first = issue(&store, learner, "course-a", false).await;
    let second = issue(&store, Uuid::new_v4(), "course-a", false).await;
    let waiting = store.gauges().await.expect("gauges");
    assert_eq!((waiting.pending, waiting.dead), (2, 0), "two events recorded, none published");
    let oldest = waiting.oldest_pending.expect("the oldest waiting event's time");
    let lag = (oldest - first.recorded_at).abs();
    assert!(lag < chrono::Duration::seconds(1), "the oldest is the first event recorded ({lag} apart)");

    let outcomes = store.deliver(Selection::Due { limit: 10 }, &DeadFirst(first.id)).await.expect("deliver");
    assert!(outcomes.contains(&Delivery::Published { id: second.id }), "the second event was published");
    assert_eq!(outcomes.len(), 2, "both events were due");
    let delivered = store.gauges().await.expect("gauges");
    assert_eq!((delivered.pending, delivered.dead), (0, 1), "one published, one dead-lettered: neither waits");
    assert_eq!(delivered.oldest_pending, None, "a dead event is not waiting");
    assert_eq!(delivered.revocations_pending, 0, "nothing superseded yet");

    issue(&store, learner, "course-a", true).await;
    let reissued = store.gauges().await.expect("gauges");
    assert_eq!(reissued.pending, 1, "the re-issue's event waits");
    assert_eq!(reissued.revocations_pending, 1, "the superseded credential is owed its revocation");
}

async fn issue(store: &impl CertificateRepo, user_id: Uuid, course_id: &str, reissue: bool) -> PendingEvent {
    let token = acquire(store, claim_request(user_id, course_id, reissue, LEASE)).await;
    record(store, token, &request(user_id, course_id, reissue), reissue, Duration::ZERO).await.expect("record").1
}

/// Publishes every event but one, which it dead-letters.
struct DeadFirst(i64);

#[async_trait::async_trait]
impl DeliverBatch for DeadFirst {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        let outcome = |id: i64| match id == self.0 {
            true => Delivery::Failed(FailedDelivery { id, error: "refused for good".into(), retry_at: None }),
            false => Delivery::Published { id },
        };
        events.iter().map(|event| outcome(event.id)).collect()
    }
}
