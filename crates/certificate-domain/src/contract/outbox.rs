//! The `EventOutbox` contract.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use uuid::Uuid;

use super::{acquire, claim_request, request, LEASE};
use crate::ports::{CertificateRepo, DeliverBatch, Delivery, EventOutbox, FailedDelivery, PendingEvent, Selection};

/// Runs every check of the outbox contract, each on a store from `fresh`.
pub async fn check_outbox<S, F, Fut>(fresh: F)
where
    S: CertificateRepo + EventOutbox,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    handed_events_go_out_once(&fresh().await).await;
    events_due_later_wait_for_the_hand_off(&fresh().await).await;
    a_failed_event_holds_back_its_certificate_only(&fresh().await).await;
    a_dead_event_no_longer_holds_back_its_certificate(&fresh().await).await;
    a_held_batch_is_not_taken_by_another(&fresh().await).await;
}

/// Publishes everything except the events it was told to fail (for a retry
/// now, or to dead-letter).
#[derive(Default)]
struct Deliverer {
    fail: Vec<i64>,
    dead: bool,
}

impl Deliverer {
    fn failing(fail: &[i64], dead: bool) -> Self {
        Self { fail: fail.to_vec(), dead }
    }
}

#[async_trait]
impl DeliverBatch for Deliverer {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        events
            .iter()
            .map(|event| match self.fail.contains(&event.id) {
                false => Delivery::Published { id: event.id },
                true => Delivery::Failed(FailedDelivery {
                    id: event.id,
                    error: "broker unavailable".into(),
                    retry_at: (!self.dead).then(Utc::now),
                }),
            })
            .collect()
    }
}

/// Issues (or re-issues) the certificate of `user_id` for `course_id`;
/// returns its event as the hand-off would carry it.
async fn record(
    store: &impl CertificateRepo,
    user_id: Uuid,
    course_id: &str,
    reissue: bool,
    due_in: Duration,
) -> PendingEvent {
    let token = acquire(store, claim_request(user_id, course_id, reissue, LEASE)).await;
    super::record(store, token, &request(user_id, course_id, reissue), false, due_in).await.expect("record").1
}

const NOW: Duration = Duration::ZERO;
const LATER: Duration = Duration::from_secs(3600);
const DUE: Selection<'static> = Selection::Due { limit: 100 };

fn published(outcomes: &[Delivery]) -> Vec<i64> {
    outcomes.iter().filter_map(|o| if let Delivery::Published { id } = o { Some(*id) } else { None }).collect()
}

async fn handed_events_go_out_once(store: &(impl CertificateRepo + EventOutbox)) {
    let first = record(store, Uuid::new_v4(), "course-a", false, LATER).await;
    let second = record(store, Uuid::new_v4(), "course-a", false, LATER).await;
    let handed = [first.clone(), second.clone()];
    let deliverer = Deliverer::default();
    let outcomes = store.deliver(Selection::Handed(&handed), &deliverer).await.unwrap();
    assert_eq!(published(&outcomes), [first.id, second.id], "two learners of one course go out together");
    let again = store.deliver(Selection::Handed(&handed), &deliverer).await.unwrap();
    assert!(again.is_empty(), "a published event is not handed out again");
    assert!(store.deliver(DUE, &deliverer).await.unwrap().is_empty());
}

async fn events_due_later_wait_for_the_hand_off(store: &(impl CertificateRepo + EventOutbox)) {
    let fresh = record(store, Uuid::new_v4(), "course-a", false, LATER).await;
    let deliverer = Deliverer::default();
    assert!(store.deliver(DUE, &deliverer).await.unwrap().is_empty(), "the poller leaves it to the hand-off");
    let left_behind = record(store, Uuid::new_v4(), "course-a", false, NOW).await;
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [left_behind.id]);
    assert_eq!(
        published(&store.deliver(Selection::Handed(std::slice::from_ref(&fresh)), &deliverer).await.unwrap()),
        [fresh.id]
    );
}

async fn a_failed_event_holds_back_its_certificate_only(store: &(impl CertificateRepo + EventOutbox)) {
    let learner = Uuid::new_v4();
    let issued = record(store, learner, "course-a", false, NOW).await;
    let failing = Deliverer::failing(&[issued.id], false);
    assert_eq!(store.deliver(DUE, &failing).await.unwrap().len(), 1);

    let reissued = record(store, learner, "course-a", true, NOW).await;
    let classmate = record(store, Uuid::new_v4(), "course-a", false, NOW).await;
    let deliverer = Deliverer::default();
    let handed = [reissued.clone(), classmate.clone()];
    let outcomes = store.deliver(Selection::Handed(&handed), &deliverer).await.unwrap();
    assert_eq!(published(&outcomes), [classmate.id], "the re-issue waits for the failed issue; its classmate does not");
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [issued.id], "the retry, alone");
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [reissued.id], "then the re-issue");
}

async fn a_dead_event_no_longer_holds_back_its_certificate(store: &(impl CertificateRepo + EventOutbox)) {
    let learner = Uuid::new_v4();
    let issued = record(store, learner, "course-a", false, NOW).await;
    store.deliver(DUE, &Deliverer::failing(&[issued.id], true)).await.unwrap();
    let reissued = record(store, learner, "course-a", true, NOW).await;
    let deliverer = Deliverer::default();
    assert_eq!(published(&store.deliver(DUE, &deliverer).await.unwrap()), [reissued.id], "dead events stay dead");
}

/// While one relay holds a batch, another (a replica's poller) passes it by.
struct Nested<'a, S> {
    store: &'a S,
    seen_by_other: Mutex<Option<Vec<Delivery>>>,
}

#[async_trait]
impl<S: EventOutbox> DeliverBatch for Nested<'_, S> {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        let other = self.store.deliver(DUE, &Deliverer::default()).await.expect("a concurrent batch");
        *self.seen_by_other.lock().unwrap() = Some(other);
        events.iter().map(|event| Delivery::Published { id: event.id }).collect()
    }
}

async fn a_held_batch_is_not_taken_by_another(store: &(impl CertificateRepo + EventOutbox)) {
    let held = record(store, Uuid::new_v4(), "course-a", false, NOW).await;
    let nested = Nested { store, seen_by_other: Mutex::new(None) };
    let outcomes = store.deliver(Selection::Handed(std::slice::from_ref(&held)), &nested).await.unwrap();
    assert_eq!(published(&outcomes), [held.id]);
    assert_eq!(nested.seen_by_other.lock().unwrap().as_deref(), Some(&[][..]), "the other batch found nothing");
    assert!(store.deliver(DUE, &Deliverer::default()).await.unwrap().is_empty(), "published once");
}
