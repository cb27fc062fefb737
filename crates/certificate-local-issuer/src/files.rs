//! The built-in issuer's secret files: `ISSUER_KEY_FILE` (one key) and
//! `ISSUER_KEYS_FILE` (a [`Keyring`]), read at start, and the keyring
//! written by the `keys` commands. A file others may read or anyone but its
//! owner may change is refused, naming the variable: the key is the
//! issuer. Group read is allowed, as Kubernetes mounts a Secret for the
//! pod's `fsGroup` (deploy/kubernetes/deployment.yaml, mode 0440).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::key::IssuerKey;
use crate::keyring::Keyring;

/// Mode bits a secret file must not have: any for others, write for the group.
const TOO_OPEN: u32 = 0o027;

/// Reads `ISSUER_KEY_FILE`; an error names the variable and the file.
pub fn key_from_file(path: &Path) -> Result<IssuerKey, String> {
    let text = secret_text("ISSUER_KEY_FILE", path)?;
    IssuerKey::parse(&text).map_err(|e| format!("ISSUER_KEY_FILE {}: {e}", path.display()))
}

/// Reads `ISSUER_KEYS_FILE`; an error names the variable and the file.
pub fn keyring_from_file(path: &Path) -> Result<Keyring, String> {
    let text = secret_text("ISSUER_KEYS_FILE", path)?;
    Keyring::parse(&text).map_err(|e| format!("ISSUER_KEYS_FILE {}: {e}", path.display()))
}

fn secret_text(variable: &str, path: &Path) -> Result<String, String> {
    let named = |error: &dyn std::fmt::Display| format!("{variable} {}: {error}", path.display());
    let mode = fs::metadata(path).map_err(|e| named(&e))?.permissions().mode();
    if mode & TOO_OPEN != 0 {
        return Err(named(&format!(
            "mode {:o} lets others read it or others than its owner change it; chmod 600 (or 640, 440)",
            mode & 0o777
        )));
    }
    fs::read_to_string(path).map_err(|e| named(&e))
}

/// `keys init`: a keyring at `file` of `from`'s key (or a new one) and a next key.
pub fn init_keyring(file: &Path, from: Option<&Path>) -> Result<String, String> {
    if file.exists() {
        return Err(format!("{} exists: the keys commands never overwrite a keyring with a new one", file.display()));
    }
    let current = from.map(key_from_file).transpose()?.unwrap_or_else(IssuerKey::generate);
    let keyring = Keyring::new(current);
    write_keyring(file, &keyring)?;
    Ok(format!(
        "{}\n\nwritten to {}: mount it as ISSUER_KEYS_FILE (docs/credentials.md)",
        keyring.public_view(),
        file.display()
    ))
}

/// `keys rotate`.
pub fn rotate_keyring(file: &Path, now: DateTime<Utc>) -> Result<String, String> {
    let mut keyring = keyring_from_file(file)?;
    keyring.rotate(now)?;
    write_keyring(file, &keyring)?;
    Ok(format!(
        "{}\n\nwritten to {}: replace the Secret with it and restart the replicas; every replica signs with the \
         current key once restarted, and the next key is published for the rotation after this one",
        keyring.public_view(),
        file.display()
    ))
}

/// `keys compromise`.
pub fn compromise_key(file: &Path, key: &str, since: DateTime<Utc>) -> Result<String, String> {
    let mut keyring = keyring_from_file(file)?;
    keyring.compromise(key, since)?;
    write_keyring(file, &keyring)?;
    Ok(format!(
        "{}\n\nwritten to {}: replace the Secret with it and restart the replicas",
        keyring.public_view(),
        file.display()
    ))
}

/// `keys show`.
pub fn show_keyring(file: &Path) -> Result<String, String> {
    Ok(keyring_from_file(file)?.public_view())
}

/// Writes `keyring` to `file` whole or not at all (a new file, mode 0600,
/// renamed over the old one).
fn write_keyring(file: &Path, keyring: &Keyring) -> Result<(), String> {
    let named = |error: std::io::Error| format!("{}: {error}", file.display());
    let partial = file.with_extension("partial");
    let mut out = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial).map_err(named)?;
    out.write_all(keyring.to_json().as_bytes()).and_then(|()| out.sync_all()).map_err(named)?;
    fs::rename(&partial, file).map_err(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("issuer-files-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_key_file_others_may_read_is_refused_naming_the_variable() {
        let file = scratch().join("issuer.key");
        fs::write(&file, IssuerKey::generate().secret_multibase()).unwrap();
        for (mode, taken) in
            [(0o600, true), (0o440, true), (0o640, true), (0o644, false), (0o660, false), (0o604, false)]
        {
            fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();
            let read = key_from_file(&file);
            assert_eq!(read.is_ok(), taken, "mode {mode:o}: {:?}", read.err());
            if let Err(error) = read {
                assert!(error.starts_with("ISSUER_KEY_FILE") && error.contains("chmod"), "{error}");
            }
        }
    }

    #[test]
    fn the_keys_commands_make_rotate_and_mark_a_keyring_never_overwriting_one() {
        let dir = scratch();
        let (file, pem) = (dir.join("keys.json"), dir.join("issuer.key"));
        let first = IssuerKey::generate();
        fs::write(&pem, first.secret_multibase()).unwrap();
        fs::set_permissions(&pem, fs::Permissions::from_mode(0o600)).unwrap();
        let said = init_keyring(&file, Some(&pem)).unwrap();
        assert!(said.starts_with(&format!("current  {}", first.multikey())), "{said}");
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(init_keyring(&file, None).unwrap_err().contains("exists"));
        rotate_keyring(&file, Utc::now()).unwrap();
        let keyring = keyring_from_file(&file).unwrap();
        assert_ne!(keyring.current().multikey(), first.multikey());
        compromise_key(&file, first.multikey(), Utc::now()).unwrap();
        let shown = show_keyring(&file).unwrap();
        assert!(
            shown.contains(&format!("retired  {}", first.multikey())) && shown.contains("compromised since"),
            "{shown}"
        );
        assert!(!fs::read_to_string(&file).unwrap().contains(&first.secret_multibase()), "the retired secret is gone");
    }
}
