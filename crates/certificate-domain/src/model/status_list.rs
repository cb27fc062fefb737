//! The built-in issuer's Bitstring Status Lists (W3C Bitstring Status List
//! v1.0) as the domain names them: a list's id and purposes, a credential's
//! entry, the order entries are handed out in, and the document the issuer
//! signs.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::IssuedCredential;

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
/// `<number>-<purpose>` (`1-revocation`), as its address names it.
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

/// The credential's status list entry, as its `credentialStatus` names it:
/// the same index in `<list>-revocation` and `<list>-suspension`.
pub fn status_slot(credential: &IssuedCredential) -> Option<StatusSlot> {
    credential.status.iter().find_map(|entry| {
        let list_id: StatusListId = entry.list_credential.as_deref()?.rsplit('/').next()?.parse().ok()?;
        let index = entry.list_index.as_deref()?.parse().ok()?;
        (list_id.purpose == StatusPurpose::Revocation).then_some(StatusSlot { list: list_id.list, index })
    })
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
