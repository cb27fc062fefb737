//! Each status list of the built-in issuer as a signed credential anyone
//! can fetch.
//!
//! Promises: [`PublishStatusLists`] answers a list as the same bytes from
//! every replica for one version of it (signed at the time of its last
//! change: Ed25519 signatures are deterministic), signs it again only when
//! its version moved, and looks at the version at most once per
//! [`PublishStatusLists::check_every`], so that a replica notices a change
//! made through another within the list's ttl (and one made through itself
//! at once: [`PublishStatusLists::changed`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{bitstring, StatusListDocument, StatusListId};
use crate::ports::{Clock, PublicLinks, StatusListError, StatusListSigning, StatusListStore};
use crate::use_cases::render_cache::Rendered;

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
    links: Arc<dyn PublicLinks>,
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
        links: Arc<dyn PublicLinks>,
        ttl: Duration,
    ) -> Self {
        Self {
            store,
            signer,
            clock,
            links,
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
        let url = self.links.status_list(id);
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
