//! The issuer's keys across rotations (`ISSUER_KEYS_FILE`, a JSON file an
//! operator keeps in the mounted Secret and changes with `certificate-service
//! keys …`): the **current** key signs; the **next** key is already published
//! in the DID document, so that every replica and every resolver's cache
//! knows it before the rotation that makes it current; **retired** keys keep
//! only their public half and their date, and keep verifying what they
//! signed. A retired key can be marked **compromised since** a time: what it
//! signed from then on is invalid on the verify route (the time is the
//! proof's `created` of the credential as this service recorded it, which no
//! holder of the stolen key can change).
//!
//! ```json
//! {"current": {"secretKeyMultibase": "z…"},
//!  "next": {"secretKeyMultibase": "z…"},
//!  "retired": [{"publicKeyMultibase": "z6Mk…", "retiredAt": "…", "compromisedSince": "…"}]}
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::key::{public_key_of_multikey, IssuerKey};

/// The keys, as the file holds them. Never printed: its `Debug` names the
/// public keys only.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Keyring {
    current: SecretEntry,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<SecretEntry>,
    #[serde(default)]
    retired: Vec<RetiredKey>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SecretEntry {
    secret_key_multibase: String,
}

/// A key that no longer signs: its public multikey and its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetiredKey {
    pub public_key_multibase: String,
    pub retired_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised_since: Option<DateTime<Utc>>,
}

/// A key the issuer publishes, with what a proof by it is worth.
#[derive(Debug, Clone)]
pub(crate) struct PublishedKey {
    pub multikey: String,
    pub public: VerifyingKey,
    /// Proofs created at or after this are not the issuer's.
    pub compromised_since: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("keys", &self.published().map(|key| key.multikey).collect::<Vec<_>>()).finish()
    }
}

impl Keyring {
    /// A keyring of `current` and a fresh next key.
    pub fn new(current: IssuerKey) -> Self {
        Self {
            current: SecretEntry::of(&current),
            next: Some(SecretEntry::of(&IssuerKey::generate())),
            retired: vec![],
        }
    }

    /// One key, nothing else: `ISSUER_KEY_FILE`'s.
    pub fn single(current: &IssuerKey) -> Self {
        Self { current: SecretEntry::of(current), next: None, retired: vec![] }
    }

    /// The file's text, checked: every key decodes, no key twice.
    pub fn parse(text: &str) -> Result<Self, String> {
        let keyring: Self = serde_json::from_str(text).map_err(|error| error.to_string())?;
        keyring.current.key()?;
        if let Some(next) = &keyring.next {
            next.key()?;
        }
        for retired in &keyring.retired {
            public_key_of_multikey(&retired.public_key_multibase)
                .ok_or_else(|| format!("retired key '{}' is no Ed25519 multikey", retired.public_key_multibase))?;
        }
        let mut multikeys = keyring.published().map(|key| key.multikey).collect::<Vec<_>>();
        multikeys.sort();
        if multikeys.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err("a key is listed twice".to_owned());
        }
        Ok(keyring)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a keyring always serialises") + "\n"
    }

    pub fn current(&self) -> IssuerKey {
        self.current.key().expect("checked when read")
    }

    /// Every key the DID document lists: the current, the next, the retired.
    pub(crate) fn published(&self) -> impl Iterator<Item = PublishedKey> + '_ {
        let secrets = [Some(&self.current), self.next.as_ref()].into_iter().flatten();
        let live = secrets.map(|entry| {
            let key = entry.key().expect("checked when read");
            PublishedKey { multikey: key.multikey().to_owned(), public: key.verifying_key(), compromised_since: None }
        });
        live.chain(self.retired.iter().map(|retired| PublishedKey {
            multikey: retired.public_key_multibase.clone(),
            public: public_key_of_multikey(&retired.public_key_multibase).expect("checked when read"),
            compromised_since: retired.compromised_since,
        }))
    }

    /// The next key becomes the current one, the current one is retired
    /// (its secret forgotten) and a fresh next key is made. Answers the new
    /// current key's multikey.
    pub fn rotate(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        let next = self.next.take().ok_or("no next key to rotate to: this keyring was made without one")?;
        let retired = RetiredKey {
            public_key_multibase: self.current().multikey().to_owned(),
            retired_at: now,
            compromised_since: None,
        };
        self.retired.push(retired);
        self.current = next;
        self.next = Some(SecretEntry::of(&IssuerKey::generate()));
        Ok(self.current().multikey().to_owned())
    }

    /// Marks the retired key `multikey` compromised since `since`.
    pub fn compromise(&mut self, multikey: &str, since: DateTime<Utc>) -> Result<(), String> {
        if self.current().multikey() == multikey {
            return Err(format!("{multikey} is the current key: rotate first, then mark it compromised"));
        }
        let retired = self.retired.iter_mut().find(|retired| retired.public_key_multibase == multikey);
        let retired = retired.ok_or_else(|| format!("{multikey} is no retired key of this keyring"))?;
        retired.compromised_since = Some(since);
        Ok(())
    }

    /// What an operator may see: every key's public half and state, no secret.
    pub fn public_view(&self) -> String {
        let mut lines = vec![format!("current  {}", self.current().multikey())];
        if let Some(next) = &self.next {
            lines.push(format!("next     {}", next.key().expect("checked when read").multikey()));
        }
        for retired in &self.retired {
            let date = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
            let compromised = retired.compromised_since.map(|since| format!(", compromised since {}", date(since)));
            lines.push(format!(
                "retired  {} (at {}{})",
                retired.public_key_multibase,
                date(retired.retired_at),
                compromised.unwrap_or_default()
            ));
        }
        lines.join("\n")
    }
}

impl SecretEntry {
    fn of(key: &IssuerKey) -> Self {
        Self { secret_key_multibase: key.secret_multibase() }
    }

    fn key(&self) -> Result<IssuerKey, String> {
        IssuerKey::parse(&self.secret_key_multibase).map_err(|error| format!("a secret key: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_rotation_publishes_the_next_key_before_it_signs_and_keeps_the_retired_ones() {
        let first = IssuerKey::generate();
        let mut keyring = Keyring::new(first.clone());
        let next = keyring.published().nth(1).unwrap().multikey;
        let current = keyring.rotate(at("2026-12-05T10:00:00Z")).unwrap();
        assert_eq!(current, next, "the key published as next signs now");
        let published: Vec<String> = keyring.published().map(|key| key.multikey).collect();
        assert_eq!(published.len(), 3);
        assert_eq!(published[2], first.multikey(), "the first key, retired, is still published");
        let text = keyring.to_json();
        assert!(!text.contains(&first.secret_multibase()), "a retired key's secret is forgotten");
        let read = Keyring::parse(&text).unwrap();
        assert_eq!(read.current().multikey(), current);
        assert_eq!(
            read.retired,
            vec![RetiredKey {
                public_key_multibase: first.multikey().to_owned(),
                retired_at: at("2026-12-05T10:00:00Z"),
                compromised_since: None
            }]
        );
    }

    #[test]
    fn only_a_retired_key_is_marked_compromised() {
        let first = IssuerKey::generate();
        let mut keyring = Keyring::new(first.clone());
        assert!(keyring.compromise(first.multikey(), at("2026-12-01T00:00:00Z")).unwrap_err().contains("current key"));
        keyring.rotate(at("2026-12-05T10:00:00Z")).unwrap();
        keyring.compromise(first.multikey(), at("2026-12-01T00:00:00Z")).unwrap();
        let retired = keyring.published().find(|key| key.multikey == first.multikey()).unwrap();
        assert_eq!(retired.compromised_since, Some(at("2026-12-01T00:00:00Z")));
        assert!(keyring.compromise("z6MkUnknown", at("2026-12-01T00:00:00Z")).is_err());
    }

    #[test]
    fn the_public_view_holds_no_secret() {
        let mut keyring = Keyring::new(IssuerKey::generate());
        keyring.rotate(Utc::now()).unwrap();
        let view = keyring.public_view();
        assert!(!view.contains(&keyring.current().secret_multibase()), "{view}");
        assert!(view.starts_with(&format!("current  {}", keyring.current().multikey())), "{view}");
    }

    #[test]
    fn a_bad_file_is_refused_saying_why() {
        let key = IssuerKey::generate();
        let twice = format!(
            r#"{{"current": {{"secretKeyMultibase": "{}"}}, "retired": [{{"publicKeyMultibase": "{}", "retiredAt": "2026-12-05T10:00:00Z"}}]}}"#,
            key.secret_multibase(),
            key.multikey()
        );
        assert_eq!(Keyring::parse(&twice).err().as_deref(), Some("a key is listed twice"));
        assert!(Keyring::parse(r#"{"current": {"secretKeyMultibase": "hello"}}"#).unwrap_err().contains("secret key"));
        assert!(Keyring::parse(r#"{"current": {"secretKeyMultibase": "z"}, "extra": 1}"#)
            .unwrap_err()
            .contains("extra"));
        let bad_public = format!(
            r#"{{"current": {{"secretKeyMultibase": "{}"}}, "retired": [{{"publicKeyMultibase": "z6MkNo", "retiredAt": "2026-12-05T10:00:00Z"}}]}}"#,
            key.secret_multibase()
        );
        assert!(Keyring::parse(&bad_public).unwrap_err().contains("z6MkNo"));
    }
}
