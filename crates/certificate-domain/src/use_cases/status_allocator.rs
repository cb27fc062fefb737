//! Which status list entry a new credential of the built-in issuer gets.
//!
//! Promises: [`StatusAllocator`] hands out every entry of a list at most
//! once, and in an order that does not follow issuance (a keyed
//! permutation of the sequence numbers the store reserves, a block at a
//! time: one round trip to the store per block, none in the issuance's
//! transaction).

use std::sync::Arc;

use crate::model::{permuted_index, StatusSlot};
use crate::ports::{StatusListError, StatusListStore};

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
