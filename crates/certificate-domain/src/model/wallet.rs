//! Wallet delivery: an offer of one certificate to its learner's wallet, the
//! grant a redeemed offer gives, and the copy of the certificate a wallet
//! took, bound to the wallet's key.
//!
//! Every secret a wallet presents (the pre-authorized code, the transaction
//! code, the access token, a nonce) is kept as its SHA-256 digest only: a
//! copy of the store lets nobody take a certificate.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What is kept of a secret: its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretDigest(pub [u8; 32]);

impl SecretDigest {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }
}

/// A new random secret of 256 bits, base64url without padding (43
/// characters, safe in a URL's path and query).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64url(&bytes)
}

/// A new transaction code: `digits` decimal digits, for a learner to type.
pub fn new_transaction_code(digits: usize) -> String {
    let mut rng = rand::rng();
    (0..digits).map(|_| char::from(b'0' + (rng.next_u32() % 10) as u8)).collect()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | (u32::from(*byte) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    text
}

/// An offer of one certificate, as it is stored. Its secret is the
/// pre-authorized code and the last segment of the credential offer's URI
/// (both are in the offer the learner scans, so they are one bearer secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletOffer {
    pub id: Uuid,
    pub certificate_id: String,
    pub secret: SecretDigest,
    /// The transaction code the token request must carry, when one was asked for.
    pub transaction_code: Option<SecretDigest>,
    pub expires_at: DateTime<Utc>,
    /// Wrong transaction codes it takes before it dies.
    pub attempts_left: u8,
    /// Its code was exchanged for an access token (once, ever).
    pub redeemed: bool,
}

impl WalletOffer {
    /// The offer may still be redeemed at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        !self.redeemed && self.attempts_left > 0 && now < self.expires_at
    }
}

/// What a redeemed offer's access token allows: taking its certificate,
/// until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletGrant {
    pub token: SecretDigest,
    pub offer_id: Uuid,
    pub certificate_id: String,
    pub expires_at: DateTime<Utc>,
}

/// A certificate as a wallet took it: the credential bound to the holder's
/// DID, under an id of its own, with the certificate's status entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletCopy {
    pub id: Uuid,
    pub certificate_id: String,
    pub offer_id: Uuid,
    /// The DID of the key the wallet proved it holds.
    pub holder: String,
    /// The signed credential, as JSON text.
    pub credential: String,
    pub claimed_at: DateTime<Utc>,
}

/// How a wallet took its copy, as the claim event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletProtocol {
    OpenId4Vci,
    VcApi,
}

impl WalletProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            WalletProtocol::OpenId4Vci => "openid4vci",
            WalletProtocol::VcApi => "vc-api",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_rfc_4648_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(new_secret().len(), 43);
    }

    #[test]
    fn a_transaction_code_is_digits_only() {
        let code = new_transaction_code(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    }

    #[test]
    fn an_offer_is_open_until_redeemed_killed_or_expired() {
        let now = Utc::now();
        let offer = WalletOffer {
            id: Uuid::nil(),
            certificate_id: "c".into(),
            secret: SecretDigest::of("s"),
            transaction_code: None,
            expires_at: now + chrono::Duration::minutes(1),
            attempts_left: 3,
            redeemed: false,
        };
        assert!(offer.open_at(now));
        assert!(!offer.open_at(offer.expires_at));
        assert!(!WalletOffer { redeemed: true, ..offer.clone() }.open_at(now));
        assert!(!WalletOffer { attempts_left: 0, ..offer }.open_at(now));
    }
}
