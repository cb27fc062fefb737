//! The renderings kept in memory: a credential and a stored template never
//! change, so what they rendered is kept, least recently used evicted, up
//! to a number of bytes, with a digest of its bytes. Signed status
//! lists are kept as [`Rendered`] too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// A rendering and a digest of its bytes (32 hex digits, the same for the
/// same bytes on every replica: what a cache validator is made of).
#[derive(Debug)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub digest: String,
}

impl Rendered {
    pub(crate) fn of(body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body).iter().take(16).map(|b| format!("{b:02x}")).collect();
        Self { body, digest }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RenderKey {
    credential_id: String,
    template_id: Option<String>,
}

impl RenderKey {
    pub(crate) fn new(credential_id: &str, template_id: Option<&str>) -> Self {
        Self { credential_id: credential_id.to_owned(), template_id: template_id.map(str::to_owned) }
    }
}

/// Least recently used renderings, up to a number of bytes.
pub(crate) struct RenderCache {
    budget: usize,
    entries: Mutex<CacheEntries>,
}

#[derive(Default)]
struct CacheEntries {
    by_key: HashMap<RenderKey, (Arc<Rendered>, u64)>,
    bytes: usize,
    tick: u64,
}

impl RenderCache {
    pub(crate) fn new(budget: usize) -> Self {
        Self { budget, entries: Mutex::default() }
    }

    pub(crate) fn get(&self, key: &RenderKey) -> Option<Arc<Rendered>> {
        let mut entries = self.entries.lock().expect("the cache lock");
        entries.tick += 1;
        let tick = entries.tick;
        let (rendered, used) = entries.by_key.get_mut(key)?;
        *used = tick;
        Some(rendered.clone())
    }

    /// Keeps the rendering unless it alone is over the budget; evicts the
    /// least recently used until it fits.
    pub(crate) fn put(&self, key: RenderKey, rendered: Rendered) -> Arc<Rendered> {
        let rendered = Arc::new(rendered);
        let size = rendered.body.len();
        if size > self.budget {
            return rendered;
        }
        let mut entries = self.entries.lock().expect("the cache lock");
        while entries.bytes + size > self.budget {
            let oldest = entries.by_key.iter().min_by_key(|(_, (_, used))| *used).map(|(key, _)| key.clone());
            let Some((evicted, _)) = oldest.and_then(|key| entries.by_key.remove(&key)) else { break };
            entries.bytes -= evicted.body.len();
        }
        entries.tick += 1;
        let tick = entries.tick;
        if let Some((replaced, _)) = entries.by_key.insert(key, (rendered.clone(), tick)) {
            entries.bytes -= replaced.body.len();
        }
        entries.bytes += size;
        rendered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: usize) -> RenderKey {
        RenderKey::new(&format!("urn:uuid:{n}"), None)
    }

    #[test]
    fn the_cache_keeps_within_its_budget_and_evicts_the_least_recently_used() {
        let cache = RenderCache::new(30);
        cache.put(key(1), Rendered::of(vec![1; 10]));
        cache.put(key(2), Rendered::of(vec![2; 10]));
        cache.put(key(3), Rendered::of(vec![3; 10]));
        assert!(cache.get(&key(1)).is_some(), "touched: now the most recent");
        cache.put(key(4), Rendered::of(vec![4; 10]));
        assert!(cache.get(&key(2)).is_none(), "the least recently used went");
        assert!(cache.get(&key(1)).is_some() && cache.get(&key(3)).is_some() && cache.get(&key(4)).is_some());
        cache.put(key(5), Rendered::of(vec![5; 31]));
        assert!(cache.get(&key(5)).is_none(), "larger than the whole budget: served, not kept");
        assert!(cache.entries.lock().unwrap().bytes <= 30);
    }

    #[test]
    fn the_digest_is_of_the_bytes() {
        let (a, b) = (Rendered::of(b"one".to_vec()), Rendered::of(b"two".to_vec()));
        assert_ne!(a.digest, b.digest);
        assert_eq!(a.digest, Rendered::of(b"one".to_vec()).digest);
        assert!(a.digest.len() == 32 && a.digest.bytes().all(|b| b.is_ascii_hexdigit()), "{}", a.digest);
    }
}
