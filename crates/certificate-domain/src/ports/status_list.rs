//! `StatusListStore`: the W3C Bitstring Status Lists of the built-in issuer,
//! as a store keeps them. A list has [`STATUS_LIST_SIZE`] entries and two
//! bitstrings, one per [`StatusPurpose`]; its entries are handed out as
//! sequence numbers, each at most once (a crashed replica's unused ones are
//! lost, never reused), and a keyed permutation (`crate::status_list`) turns
//! a sequence number into the entry's index, so that indexes do not tell the
//! order of issuance.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Entries per list: the specification's minimum (16 KiB of bits), which
/// hides one credential among 131,072.
pub const STATUS_LIST_SIZE: u32 = 131_072;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusPurpose {
    /// Final: a revoked credential stays revoked.
    Revocation,
    /// Reversible: a suspended credential may be reinstated.
    Suspension,
}

impl StatusPurpose {
    pub const ALL: [Self; 2] = [Self::Revocation, Self::Suspension];

    /// The specification's `statusPurpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }
}

/// One published bitstring: the list's number and a purpose, written
/// `<number>-<purpose>` in its URL (`/status/1-revocation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusListId {
    pub list: u32,
    pub purpose: StatusPurpose,
}

impl fmt::Display for StatusListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.list, self.purpose.as_str())
    }
}

/// Not a list id this service makes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a status list id is <number>-revocation or <number>-suspension")]
pub struct NotAListId;

impl FromStr for StatusListId {
    type Err = NotAListId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (list, purpose) = text.split_once('-').ok_or(NotAListId)?;
        let purpose = StatusPurpose::ALL.into_iter().find(|p| p.as_str() == purpose).ok_or(NotAListId)?;
        // Digits only: "+1" or " 1" would name the same list twice.
        if list.is_empty() || !list.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NotAListId);
        }
        Ok(Self { list: list.parse().map_err(|_| NotAListId)?, purpose })
    }
}

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

/// A status list outage during an issuance is the store's, as the record's would be.
impl From<StatusListError> for super::RepoError {
    fn from(error: StatusListError) -> Self {
        match error {
            StatusListError::Unavailable(cause) => Self::Unavailable(cause),
            StatusListError::Failed(cause) => Self::Failed(cause),
        }
    }
}
