//! The `StatusListStore` contract.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use crate::model::{StatusListId, StatusPurpose, STATUS_LIST_SIZE};
use crate::ports::StatusListStore;

/// Runs every check of the status list store contract on a store from
/// `fresh`: a list exists once its first entries are reserved; reservations
/// follow each other in one list without overlap, concurrent ones too; a
/// full list is followed by a new one with a key of its own; a new list's
/// bitstrings are empty.
pub async fn check_status_list_store<S, F, Fut>(fresh: F)
where
    S: StatusListStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = Arc::new(fresh().await);
    let revocation = |list| StatusListId { list, purpose: StatusPurpose::Revocation };
    assert_eq!(store.version(1).await.unwrap(), None, "no list before the first reservation");
    assert_eq!(store.bits(revocation(1)).await.unwrap(), None);

    let first = store.reserve(10).await.unwrap();
    assert_eq!((first.list, first.first, first.count), (1, 0, 10), "the first list starts at zero");
    let second = store.reserve(5).await.unwrap();
    assert_eq!((second.list, second.first, second.count, second.key), (1, 10, 5, first.key), "then follows on");

    let concurrent = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.reserve(100).await.unwrap() })
    });
    let mut taken = HashSet::new();
    for range in futures_util::future::join_all(concurrent).await {
        let range = range.unwrap();
        assert_eq!((range.list, range.count), (1, 100));
        assert!((range.first..range.first + range.count).all(|sequence| taken.insert(sequence)), "no overlap");
    }
    assert_eq!(taken.len(), 800);

    let rest = store.reserve(STATUS_LIST_SIZE).await.unwrap();
    assert_eq!((rest.list, rest.first, rest.count), (1, 815, STATUS_LIST_SIZE - 815), "what is left of the list");
    let next = store.reserve(3).await.unwrap();
    assert_eq!((next.list, next.first, next.count), (2, 0, 3), "a full list is followed by a new one");
    assert_ne!(next.key, first.key, "each list has a key of its own");

    for purpose in StatusPurpose::ALL {
        let bits = store.bits(StatusListId { list: 2, purpose }).await.unwrap().expect("the new list");
        assert!(bits.set.is_empty(), "a new list has no bit set");
        assert_eq!(Some(bits.version), store.version(2).await.unwrap());
    }
    assert_eq!(store.version(3).await.unwrap(), None, "no third list yet");
}
