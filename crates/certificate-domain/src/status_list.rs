//! The built-in issuer's Bitstring Status Lists (W3C Bitstring Status List
//! v1.0): which entry a new credential gets, and each list as a signed
//! credential anyone can fetch.
//!
//! Promises:
//! - [`StatusAllocator`] hands out every entry of a list at most once, and
//!   in an order that does not follow issuance (a keyed permutation of the
//!   sequence numbers the store reserves, a block at a time: one round trip
//!   to the store per block, none in the issuance's transaction);
//! - [`PublishStatusLists`] answers a list as the same bytes from every
//!   replica for one version of it (signed at the time of its last change:
//!   Ed25519 signatures are deterministic), signs it again only when its
//!   version moved, and looks at the version at most once per
//!   [`PublishStatusLists::check_every`], so that a replica notices a change
//!   made through another within the list's ttl (and one made through
//!   itself at once: [`PublishStatusLists::changed`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::ports::{
    Clock, StatusListError, StatusListId, StatusListSigning, StatusListStore, StatusPurpose, STATUS_LIST_SIZE,
};
use crate::render::Rendered;

/// Where a credential's status lives: the same index in both bitstrings of
/// list `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSlot {
    pub list: u32,
    pub index: u32,
}

impl StatusSlot {
    pub fn list_id(self, purpose: StatusPurpose) -> StatusListId {
        StatusListId { list: self.list, purpose }
    }
}

/// The `credentialStatus` URL of a list.
pub fn status_list_url(public_base_url: &str, id: StatusListId) -> String {
    format!("{}/status/{id}", public_base_url.trim_end_matches('/'))
}

const INDEX_BITS: u32 = STATUS_LIST_SIZE.trailing_zeros();
const HALF_BITS: u32 = INDEX_BITS.div_ceil(2);
const ROUNDS: u8 = 4;

/// The index of sequence number `sequence` in a list with permutation key
/// `key`: a four-round Feistel network keyed by SHA-256 on the smallest
/// even number of bits that holds an index, walking the cycle until the
/// value is an index. A bijection of `0..STATUS_LIST_SIZE`.
pub fn permuted_index(key: u64, sequence: u32) -> u32 {
    debug_assert!(sequence < STATUS_LIST_SIZE);
    let mut value = sequence;
    loop {
        value = feistel(key, value);
        if value < STATUS_LIST_SIZE {
            return value;
        }
    }
}

fn feistel(key: u64, value: u32) -> u32 {
    let mask = (1 << HALF_BITS) - 1;
    let (mut left, mut right) = (value >> HALF_BITS, value & mask);
    for round in 0..ROUNDS {
        let digest = Sha256::new()
            .chain_update(key.to_be_bytes())
            .chain_update([round])
            .chain_update(right.to_be_bytes())
            .finalize();
        let mixed = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) & mask;
        (left, right) = (right, left ^ mixed);
    }
    (left << HALF_BITS) | right
}

/// Reserves sequence numbers a block at a time and hands out their entries.
pub struct StatusAllocator {
    store: Arc<dyn StatusListStore>,
    block: u32,
    range: tokio::sync::Mutex<Remaining>,
}

#[derive(Default)]
struct Remaining {
    list: u32,
    key: u64,
    next: u32,
    end: u32,
}

impl StatusAllocator {
    /// `block`: how many entries one reservation takes (lost, at most, when
    /// the process stops).
    pub fn new(store: Arc<dyn StatusListStore>, block: u32) -> Self {
        Self { store, block: block.max(1), range: tokio::sync::Mutex::default() }
    }

    pub async fn allocate(&self) -> Result<StatusSlot, StatusListError> {
        let mut range = self.range.lock().await;
        if range.next == range.end {
            let reserved = self.store.reserve(self.block).await?;
            *range = Remaining {
                list: reserved.list,
                key: reserved.key,
                next: reserved.first,
                end: reserved.first + reserved.count,
            };
        }
        let sequence = range.next;
        range.next += 1;
        Ok(StatusSlot { list: range.list, index: permuted_index(range.key, sequence) })
    }
}

/// The raw bitstring of a list with the given bits set: index 0 is the
/// first byte's most significant bit.
pub fn bitstring(set: &[u32]) -> Vec<u8> {
    let mut bits = vec![0u8; (STATUS_LIST_SIZE / 8) as usize];
    for &index in set.iter().filter(|&&index| index < STATUS_LIST_SIZE) {
        bits[(index / 8) as usize] |= 0x80 >> (index % 8);
    }
    bits
}

/// What the issuer signs as a `BitstringStatusListCredential`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListDocument<'a> {
    pub id: StatusListId,
    /// The list credential's URL, which is its id.
    pub url: &'a str,
    pub bits: &'a [u8],
    /// When the list last changed: the same on every replica.
    pub valid_from: DateTime<Utc>,
    pub ttl: Duration,
}

/// A list as answered, and when this replica last looked at its version.
struct Published {
    answer: Arc<Rendered>,
    version: i64,
    checked_at: DateTime<Utc>,
}

pub struct PublishStatusLists {
    store: Arc<dyn StatusListStore>,
    signer: Arc<dyn StatusListSigning>,
    clock: Arc<dyn Clock>,
    public_base_url: String,
    ttl: Duration,
    published: Mutex<HashMap<StatusListId, Published>>,
    /// One refresh at a time: a burst of requests after a change signs once.
    refreshing: tokio::sync::Mutex<()>,
}

impl PublishStatusLists {
    pub fn new(
        store: Arc<dyn StatusListStore>,
        signer: Arc<dyn StatusListSigning>,
        clock: Arc<dyn Clock>,
        public_base_url: String,
        ttl: Duration,
    ) -> Self {
        Self {
            store,
            signer,
            clock,
            public_base_url,
            ttl,
            published: Mutex::default(),
            refreshing: tokio::sync::Mutex::default(),
        }
    }

    /// How long a verifier may keep a list (`Cache-Control: max-age`).
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How often a replica looks whether a list changed: a tenth of the ttl,
    /// at least a second.
    pub fn check_every(&self) -> Duration {
        (self.ttl / 10).max(Duration::from_secs(1)).min(self.ttl)
    }

    /// The signed list; `None` when no such list exists.
    pub async fn list(&self, id: StatusListId) -> Result<Option<Arc<Rendered>>, StatusListError> {
        if let Some(answer) = self.fresh(id) {
            return Ok(Some(answer));
        }
        let _refreshing = self.refreshing.lock().await;
        if let Some(answer) = self.fresh(id) {
            return Ok(Some(answer));
        }
        let now = self.clock.now();
        let Some(version) = self.store.version(id.list).await? else {
            return Ok(None);
        };
        if let Some(answer) = self.still_current(id, version, now) {
            return Ok(Some(answer));
        }
        let Some(stored) = self.store.bits(id).await? else {
            return Ok(None);
        };
        let url = status_list_url(&self.public_base_url, id);
        let bits = bitstring(&stored.set);
        let document = StatusListDocument { id, url: &url, bits: &bits, valid_from: stored.changed_at, ttl: self.ttl };
        let answer = Arc::new(Rendered::of(self.signer.sign_list(&document).into_bytes()));
        let published = Published { answer: answer.clone(), version: stored.version, checked_at: now };
        self.published.lock().expect("the published lists").insert(id, published);
        Ok(Some(answer))
    }

    /// Forgets what this replica answered for `list`: a change made here
    /// shows in the next answer here, not only after the next check.
    pub fn changed(&self, list: u32) {
        self.published.lock().expect("the published lists").retain(|id, _| id.list != list);
    }

    fn fresh(&self, id: StatusListId) -> Option<Arc<Rendered>> {
        let published = self.published.lock().expect("the published lists");
        let entry = published.get(&id)?;
        let age = (self.clock.now() - entry.checked_at).to_std().unwrap_or_default();
        (age < self.check_every()).then(|| entry.answer.clone())
    }

    /// The answer kept for `id`, marked as checked, if it is at `version`.
    fn still_current(&self, id: StatusListId, version: i64, now: DateTime<Utc>) -> Option<Arc<Rendered>> {
        let mut published = self.published.lock().expect("the published lists");
        let entry = published.get_mut(&id).filter(|entry| entry.version == version)?;
        entry.checked_at = now;
        Some(entry.answer.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_permutation_is_a_bijection_of_the_indexes() {
        let indexes: HashSet<u32> = (0..STATUS_LIST_SIZE).map(|sequence| permuted_index(7, sequence)).collect();
        assert_eq!(indexes.len(), STATUS_LIST_SIZE as usize);
        assert!(indexes.iter().all(|&index| index < STATUS_LIST_SIZE));
    }

    #[test]
    fn consecutive_credentials_get_indexes_that_do_not_follow_each_other() {
        let first: Vec<u32> = (0..8).map(|sequence| permuted_index(42, sequence)).collect();
        let other_key: Vec<u32> = (0..8).map(|sequence| permuted_index(43, sequence)).collect();
        assert_ne!(first, (0..8).collect::<Vec<_>>(), "not the sequence itself");
        assert!(first.windows(2).any(|pair| pair[1] < pair[0]), "not increasing: {first:?}");
        assert_ne!(first, other_key, "each list has its own order");
    }

    #[test]
    fn the_bitstring_puts_index_zero_in_the_first_bytes_highest_bit() {
        let bits = bitstring(&[0, 9, STATUS_LIST_SIZE - 1]);
        assert_eq!(bits.len(), 16_384);
        assert_eq!(bits[0], 0b1000_0000);
        assert_eq!(bits[1], 0b0100_0000);
        assert_eq!(bits[16_383], 0b0000_0001);
        assert_eq!(bits.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
    }
}
