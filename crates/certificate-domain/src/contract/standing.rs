//! The `CertificateStandings` contract.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::request;
use crate::model::{CertificateEvent, StatusSlot};
use crate::model::{Standing, StatusListId, StatusPurpose};
use crate::ports::{CertificateStandings, RevocationQueue, StandingChange, StatusListStore};

/// Runs every check of the standings contract on a store from `fresh`: a
/// certificate never changed is active; a change is made only from the
/// standing it was decided on; it sets and clears its entry's bits and
/// moves the list's version on; a revocation for Sunbird RC is queued with
/// it; a superseded entry's revocation bit is set once however often asked.
pub async fn check_standings<S, F, Fut>(fresh: F)
where
    S: CertificateStandings + StatusListStore + RevocationQueue,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = fresh().await;
    let certificate = format!("urn:uuid:{}", Uuid::new_v4());
    assert_eq!(store.standing(&certificate).await.unwrap().standing, Standing::Active, "never changed: active");
    let list = store.reserve(10).await.unwrap().list;
    let slot = StatusSlot { list, index: 4242 };
    let bits = async |purpose| store.bits(StatusListId { list, purpose }).await.unwrap().unwrap();
    let change = async |from, to, queue_revocation| {
        let request = request(Uuid::new_v4(), "c", false);
        let event = CertificateEvent::certificate_issued(&request, &certificate, Uuid::new_v4(), Utc::now());
        let change = StandingChange {
            certificate_id: &certificate,
            from,
            to,
            reason: "a complaint is looked at",
            slot: Some(slot),
            event: &event,
            queue_revocation,
            at: Utc::now(),
        };
        store.change_standing(change).await.unwrap()
    };

    let before = bits(StatusPurpose::Suspension).await.version;
    assert!(change(Standing::Active, Standing::Suspended, false).await);
    let record = store.standing(&certificate).await.unwrap();
    assert_eq!((record.standing, record.reason.as_deref()), (Standing::Suspended, Some("a complaint is looked at")));
    let suspension = bits(StatusPurpose::Suspension).await;
    assert_eq!(suspension.set, [4242], "its suspension bit is set");
    assert!(suspension.version > before, "the list's version moved on");
    assert!(bits(StatusPurpose::Revocation).await.set.is_empty(), "not its revocation bit");

    let stale = change(Standing::Active, Standing::Revoked, false).await;
    assert!(!stale, "decided on a standing that is gone: nothing written");
    assert_eq!(store.standing(&certificate).await.unwrap().standing, Standing::Suspended);

    assert!(change(Standing::Suspended, Standing::Active, false).await);
    assert!(bits(StatusPurpose::Suspension).await.set.is_empty(), "reinstated: the bit is cleared");
    assert!(store.take_due(10, Duration::from_secs(30)).await.unwrap().is_empty(), "nothing sent to Sunbird RC");

    assert!(change(Standing::Active, Standing::Revoked, true).await);
    assert_eq!(bits(StatusPurpose::Revocation).await.set, [4242], "revoked: its revocation bit");
    let queued = store.take_due(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(queued.len(), 1, "the revocation for Sunbird RC is queued with the change");
    assert_eq!(queued[0].certificate_id, certificate);

    let superseded = StatusSlot { list, index: 7 };
    store.revoke_entry(superseded).await.unwrap();
    let version = bits(StatusPurpose::Revocation).await.version;
    store.revoke_entry(superseded).await.unwrap();
    let revocation = bits(StatusPurpose::Revocation).await;
    assert_eq!(revocation.set, [7, 4242], "a superseded entry's bit, once");
    assert_eq!(revocation.version, version, "asking again changes nothing");
}
