//! The proofs already checked, by the exact text of the credential they
//! sign: a recorded credential never changes and the issuer's keys do not
//! change while the process runs (a rotation restarts it), so checking its
//! proof again (canonicalizing, hashing, an Ed25519 verification: most of a
//! verify request's CPU) would answer the same. A credential changed by one
//! byte has another text, so it is checked anew. Bounded: when full, it is
//! emptied and fills again with what is asked.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::proof::Signed;

/// How many proofs are kept: about 200 bytes each, 4 MB at most (the
/// deployment requests 64 MiB and limits it to 768 MiB).
const KEPT: usize = 20_000;

#[derive(Default)]
pub(crate) struct VerifiedProofs {
    by_text: Mutex<HashMap<[u8; 32], Option<Signed>>>,
}

impl VerifiedProofs {
    /// What `check` answers for the credential of `text`, checked once.
    pub(crate) fn of(&self, text: &str, check: impl FnOnce() -> Option<Signed>) -> Option<Signed> {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if let Some(known) = self.by_text.lock().expect("the verified proofs").get(&digest) {
            return known.clone();
        }
        let checked = check();
        let mut by_text = self.by_text.lock().expect("the verified proofs");
        if by_text.len() >= KEPT {
            by_text.clear();
        }
        by_text.insert(digest, checked.clone());
        checked
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn a_text_is_checked_once_and_another_text_anew() {
        let proofs = VerifiedProofs::default();
        let checks = Cell::new(0);
        let signed = || {
            checks.set(checks.get() + 1);
            Some(Signed { method: "did:key:z6Mk#z6Mk".to_owned(), created: None })
        };
        assert!(proofs.of("{\"a\":1}", signed).is_some());
        assert!(proofs.of("{\"a\":1}", signed).is_some());
        assert_eq!(checks.get(), 1);
        assert_eq!(proofs.of("{\"a\":2}", || None), None, "one byte changed: checked anew");
    }
}
