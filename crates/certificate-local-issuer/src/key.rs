//! The issuer's Ed25519 key and the `did:key` that names it.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use multibase::Base;

/// The multicodec prefixes of an Ed25519 public and private key (varint of 0xed and 0x1300).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("neither a PKCS#8 PEM private key nor a multibase Ed25519 seed")]
    Unrecognised,
    #[error("a PKCS#8 PEM that is not an Ed25519 private key: {0}")]
    Pkcs8(String),
    #[error("a multibase seed that does not decode to 32 bytes")]
    Seed,
}

/// The signing key and the names derived from it.
#[derive(Clone)]
pub struct IssuerKey {
    signing: SigningKey,
    /// `z6Mk…`: the public key, multibase (base58btc) of its multicodec form.
    multikey: String,
}

impl IssuerKey {
    /// A PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or a multibase
    /// (base58btc, `z…`) seed of 32 bytes, with or without the Ed25519
    /// private-key multicodec prefix.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            return SigningKey::from_pkcs8_pem(text).map(Self::from).map_err(|e| KeyError::Pkcs8(e.to_string()));
        }
        let (base, bytes) = multibase::decode(text).map_err(|_| KeyError::Unrecognised)?;
        if base != Base::Base58Btc {
            return Err(KeyError::Unrecognised);
        }
        let seed = bytes.strip_prefix(&ED25519_PRIV[..]).unwrap_or(&bytes);
        let seed: [u8; 32] = seed.try_into().map_err(|_| KeyError::Seed)?;
        Ok(Self::from(SigningKey::from_bytes(&seed)))
    }

    /// A fresh key, for the embedded mode (nothing it signs outlives the process's key).
    pub fn generate() -> Self {
        Self::from(SigningKey::from_bytes(&rand::random::<[u8; 32]>()))
    }

    /// `did:key:z6Mk…`
    pub fn did(&self) -> String {
        format!("did:key:{}", self.multikey)
    }

    pub fn multikey(&self) -> &str {
        &self.multikey
    }

    /// The secret as a Multikey's `secretKeyMultibase`: base58btc of the
    /// seed behind the Ed25519 private-key multicodec prefix.
    pub(crate) fn secret_multibase(&self) -> String {
        multibase::encode(Base::Base58Btc, [&ED25519_PRIV[..], self.signing.as_bytes()].concat())
    }

    pub(crate) fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 64] {
        self.signing.sign(data).to_bytes()
    }
}

/// Never the key: only the DID it signs as.
impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey").field("did", &self.did()).finish_non_exhaustive()
    }
}

impl From<SigningKey> for IssuerKey {
    fn from(signing: SigningKey) -> Self {
        let multikey = public_multikey(&signing.verifying_key());
        Self { signing, multikey }
    }
}

fn public_multikey(key: &VerifyingKey) -> String {
    multibase::encode(Base::Base58Btc, [&ED25519_PUB[..], key.as_bytes()].concat())
}

/// The Ed25519 public key of a `z6Mk…` multikey.
pub(crate) fn public_key_of_multikey(multikey: &str) -> Option<VerifyingKey> {
    let (base, bytes) = multibase::decode(multikey).ok()?;
    let public: [u8; 32] = bytes.strip_prefix(&ED25519_PUB[..])?.try_into().ok()?;
    (base == Base::Base58Btc).then_some(())?;
    VerifyingKey::from_bytes(&public).ok()
}

pub(crate) fn signature_holds(key: &VerifyingKey, data: &[u8], signature: &[u8]) -> bool {
    Signature::from_slice(signature).is_ok_and(|signature| key.verify(data, &signature).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032, test 1: the seed, and the did:key of its public key.
    const SEED_HEX: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    fn seed() -> [u8; 32] {
        let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&SEED_HEX[2 * i..2 * i + 2], 16).unwrap()).collect();
        bytes.try_into().unwrap()
    }

    #[test]
    fn a_multibase_seed_with_or_without_its_prefix_is_the_same_key() {
        let bare = multibase::encode(Base::Base58Btc, seed());
        let prefixed = multibase::encode(Base::Base58Btc, [&ED25519_PRIV[..], &seed()].concat());
        let (a, b) = (IssuerKey::parse(&bare).unwrap(), IssuerKey::parse(&prefixed).unwrap());
        assert_eq!(a.did(), b.did());
        assert!(a.did().starts_with("did:key:z6Mk"), "{}", a.did());
    }

    #[test]
    fn a_key_survives_its_secret_multibase_and_its_public_multikey() {
        let key = IssuerKey::generate();
        assert_eq!(IssuerKey::parse(&key.secret_multibase()).unwrap().multikey(), key.multikey());
        assert_eq!(public_key_of_multikey(key.multikey()), Some(key.verifying_key()));
        assert_eq!(public_key_of_multikey("z6MkNo"), None);
    }

    #[test]
    fn a_signature_holds_for_its_data_only() {
        let key = IssuerKey::parse(&multibase::encode(Base::Base58Btc, seed())).unwrap();
        assert!(signature_holds(&key.verifying_key(), b"data", &key.sign(b"data")));
        assert!(!signature_holds(&key.verifying_key(), b"other", &key.sign(b"data")));
    }

    #[test]
    fn what_is_no_key_is_refused() {
        assert!(matches!(IssuerKey::parse("hello"), Err(KeyError::Unrecognised)));
        assert!(matches!(IssuerKey::parse("z3mJ"), Err(KeyError::Seed)));
        assert!(matches!(
            IssuerKey::parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(KeyError::Pkcs8(_))
        ));
    }
}
