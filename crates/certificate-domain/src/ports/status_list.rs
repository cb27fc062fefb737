//! `StatusListStore`: the W3C Bitstring Status Lists of the built-in issuer,
//! as a store keeps them. A list has `STATUS_LIST_SIZE` entries and two
//! bitstrings, one per `StatusPurpose` (crate::model); its entries are handed out as
//! sequence numbers, each at most once (a crashed replica's unused ones are
//! lost, never reused), and a keyed permutation (`crate::model::permuted_index`) turns
//! a sequence number into the entry's index, so that indexes do not tell the
//! order of issuance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::StatusListId;

/// Sequence numbers `first .. first + count` of list `list`, reserved for
/// one allocator, and the list's permutation key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservedRange {
    pub list: u32,
    pub key: u64,
    pub first: u32,
    pub count: u32,
}

/// A bitstring as stored: the indexes whose bit is set, the list's version,
/// which every change of either of its bitstrings moves on, and when that
/// last happened (its creation, until then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBits {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub set: Vec<u32>,
}

store_error!(
    /// The status list store could not be used.
    StatusListError,
    "status list store"
);

#[async_trait]
pub trait StatusListStore: Send + Sync + 'static {
    /// Reserves up to `count` (at least one) sequence numbers that were never
    /// reserved, of the newest list that has some left, or of a new list
    /// (with a new random key) when none has.
    async fn reserve(&self, count: u32) -> Result<ReservedRange, StatusListError>;
    /// The list's version; `None` for a list that does not exist.
    async fn version(&self, list: u32) -> Result<Option<i64>, StatusListError>;
    /// One bitstring of a list; `None` for a list that does not exist.
    async fn bits(&self, id: StatusListId) -> Result<Option<StoredBits>, StatusListError>;
}
