//! Wallet delivery's ports: `WalletStore` (offers, grants, nonces and the
//! copies wallets took), `HolderProofs` (who signed a wallet's proof of
//! possession) and `CopySigning` (a certificate bound to a holder).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{CertificateEvent, IssuedCredential, SecretDigest, WalletCopy, WalletGrant, WalletOffer};

store_error!(
    /// The wallet store could not be read or written.
    WalletStoreError,
    "wallet store"
);

/// Offers and what comes of them. Every step a wallet takes is one atomic
/// statement, so that any replica answers any step and two wallets racing
/// for one secret never both win.
#[async_trait]
pub trait WalletStore: Send + Sync + 'static {
    async fn add_offer(&self, offer: &WalletOffer) -> Result<(), WalletStoreError>;
    /// The offer whose secret has this digest.
    async fn offer(&self, secret: &SecretDigest) -> Result<Option<WalletOffer>, WalletStoreError>;
    /// Counts a wrong transaction code against the offer; answers the
    /// attempts left (0: the offer is dead).
    async fn wrong_transaction_code(&self, offer_id: Uuid) -> Result<u8, WalletStoreError>;
    /// Marks the offer redeemed and records `grant`, if the offer was still
    /// open at `now`; `false` (nothing written) otherwise.
    async fn redeem(&self, offer_id: Uuid, grant: &WalletGrant, now: DateTime<Utc>) -> Result<bool, WalletStoreError>;
    /// The grant of the access token with this digest, if it is unexpired at `now`.
    async fn grant(&self, token: &SecretDigest, now: DateTime<Utc>) -> Result<Option<WalletGrant>, WalletStoreError>;
    async fn add_nonce(&self, nonce: &SecretDigest, expires_at: DateTime<Utc>) -> Result<(), WalletStoreError>;
    /// Removes the nonce; `true` if it was there and unexpired at `now`.
    async fn use_nonce(&self, nonce: &SecretDigest, now: DateTime<Utc>) -> Result<bool, WalletStoreError>;
    /// Records `copy` and its claim event (through the outbox), unless the
    /// offer already gave a copy to the same holder: then answers that one
    /// and records nothing.
    async fn record_copy(&self, copy: &WalletCopy, event: &CertificateEvent) -> Result<WalletCopy, WalletStoreError>;
    /// The holders of the certificate's copies, oldest first.
    async fn holders(&self, certificate_id: &str) -> Result<Vec<String>, WalletStoreError>;
    /// Removes offers, grants and nonces expired before `before`; answers how many.
    async fn remove_expired(&self, before: DateTime<Utc>) -> Result<u64, WalletStoreError>;
}

/// What a valid proof of possession says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderProof {
    /// The DID of the key that signed it (`did:key`, or `did:jwk` for a bare JWK).
    pub holder: String,
    pub audience: Vec<String>,
    pub issued_at: DateTime<Utc>,
    pub nonce: Option<String>,
}

/// Why a proof of possession is refused; the message is the wallet's to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofRefused(pub &'static str);

/// Reads and checks an OpenID4VCI `jwt` proof: its type, an allowed
/// algorithm, the key it names and its signature.
pub trait HolderProofs: Send + Sync + 'static {
    fn holder_proof(&self, jwt: &str) -> Result<HolderProof, ProofRefused>;
}

/// What a valid DID-authentication presentation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedHolder {
    /// The presentation's `holder`, whose key signed it.
    pub holder: String,
    pub challenge: Option<String>,
    pub domain: Option<String>,
}

/// Reads and checks a VC-API DID-authentication presentation: a
/// `VerifiablePresentation` whose Data Integrity proof (purpose
/// `authentication`) holds by the key of its `holder`'s DID.
pub trait PresentationProofs: Send + Sync + 'static {
    fn presented_holder(&self, presentation: &serde_json::Value) -> Result<PresentedHolder, ProofRefused>;
}

/// Why a certificate cannot be bound to a holder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CannotBind(pub String);

/// Signs the certificate's credential bound to `holder`: its subject is the
/// holder, its id `urn:uuid:<copy_id>`, everything else (status entries
/// included) the certificate's.
pub trait CopySigning: Send + Sync + 'static {
    fn bind(
        &self,
        certificate: &IssuedCredential,
        holder: &str,
        copy_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, CannotBind>;
}
