//! The status lists of the embedded default, in the store's one mutex (a
//! status change will go with its event, as in Postgres).

use std::collections::BTreeSet;

use async_trait::async_trait;
use certificate_domain::ports::{ReservedRange, StatusListError, StatusListStore, StoredBits};
use certificate_domain::StatusSlot;
use certificate_domain::{StatusListId, StatusPurpose, STATUS_LIST_SIZE};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::InMemoryStore;

pub(super) struct StatusListRow {
    key: u64,
    reserved: u32,
    version: i64,
    changed_at: DateTime<Utc>,
    revoked: BTreeSet<u32>,
    suspended: BTreeSet<u32>,
}

impl StatusListRow {
    fn new() -> Self {
        let key = Uuid::new_v4().as_u64_pair().0;
        Self {
            key,
            reserved: 0,
            version: 0,
            changed_at: Utc::now(),
            revoked: BTreeSet::new(),
            suspended: BTreeSet::new(),
        }
    }

    fn bits(&self, purpose: StatusPurpose) -> &BTreeSet<u32> {
        match purpose {
            StatusPurpose::Revocation => &self.revoked,
            StatusPurpose::Suspension => &self.suspended,
        }
    }

    fn bits_mut(&mut self, purpose: StatusPurpose) -> &mut BTreeSet<u32> {
        match purpose {
            StatusPurpose::Revocation => &mut self.revoked,
            StatusPurpose::Suspension => &mut self.suspended,
        }
    }
}

#[async_trait]
impl StatusListStore for InMemoryStore {
    async fn reserve(&self, count: u32) -> Result<ReservedRange, StatusListError> {
        self.with_state(|state| {
            if state.status_lists.last().is_none_or(|list| list.reserved == STATUS_LIST_SIZE) {
                state.status_lists.push(StatusListRow::new());
            }
            let list = state.status_lists.len() as u32;
            let row = state.status_lists.last_mut().expect("a list with entries left");
            let first = row.reserved;
            let count = count.max(1).min(STATUS_LIST_SIZE - first);
            row.reserved += count;
            Ok(ReservedRange { list, key: row.key, first, count })
        })
    }

    async fn version(&self, list: u32) -> Result<Option<i64>, StatusListError> {
        self.with_state(|state| Ok(state.status_list(list).map(|row| row.version)))
    }

    async fn bits(&self, id: StatusListId) -> Result<Option<StoredBits>, StatusListError> {
        self.with_state(|state| {
            Ok(state.status_list(id.list).map(|row| StoredBits {
                version: row.version,
                changed_at: row.changed_at,
                set: row.bits(id.purpose).iter().copied().collect(),
            }))
        })
    }
}

impl super::State {
    fn status_list(&self, list: u32) -> Option<&StatusListRow> {
        self.status_lists.get(list_position(list)?)
    }

    /// Sets or clears one bit; a change moves the list's version on.
    pub(super) fn set_bit(&mut self, slot: StatusSlot, purpose: StatusPurpose, set: bool, at: DateTime<Utc>) {
        let Some(row) = list_position(slot.list).and_then(|position| self.status_lists.get_mut(position)) else {
            return;
        };
        let bits = row.bits_mut(purpose);
        let changed = if set { bits.insert(slot.index) } else { bits.remove(&slot.index) };
        if changed {
            row.version += 1;
            row.changed_at = at;
        }
    }
}

/// Where list `list` (numbered from 1) is in the store's vector.
fn list_position(list: u32) -> Option<usize> {
    usize::try_from(list).ok()?.checked_sub(1)
}
