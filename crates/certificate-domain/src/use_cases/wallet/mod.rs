//! Delivering a certificate into its learner's wallet: the platform asks for
//! an offer; the wallet redeems it for an access token, asks for a nonce,
//! proves it holds a key, and takes a copy of the certificate bound to that
//! key (OpenID for Verifiable Credential Issuance's pre-authorized code flow,
//! whose wire the HTTP adapter speaks).
//!
//! Promises:
//! - an offer is for one certificate, active when offered and when taken
//!   (neither revoked nor suspended); its secret and transaction code are
//!   answered once, to the platform, and stored as digests only;
//! - a pre-authorized code is redeemed once, before it expires; a wrong
//!   transaction code counts, and the last allowed wrong one kills the offer;
//! - an access token takes its own offer's certificate only, until it
//!   expires (a few minutes);
//! - a nonce is used once, before it expires; a proof must be signed by the
//!   key it names, for this issuer, recently, over an unused nonce;
//! - the VC-API exchange (the Learner Credential Wallet's) redeems the same
//!   offer with a DID-authentication presentation instead of a token and a
//!   proof: its challenge is a nonce, its domain this issuer, its proof the
//!   holder's; an offer with a transaction code is for OpenID4VCI only;
//! - a copy is the certificate bound to the holder (its status entries
//!   included, so revoking the certificate revokes every copy), recorded
//!   with its `CERTIFICATE_CLAIMED` event; the same holder asking again under
//!   the same offer gets the same copy, and no second event.
//!
//! This file holds the offer, the nonce, the copy and what both protocols
//! share; `openid4vci.rs` the token and credential steps, `vc_api.rs` the
//! exchange.

mod openid4vci;
mod vc_api;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{
    new_secret, new_transaction_code, CertificateEvent, IssuedCredential, NoLearnerOrCourse, SecretDigest, Standing,
    WalletCopy, WalletOffer, WalletProtocol,
};
use crate::ports::{
    CannotBind, CertificateRepo, CertificateStandings, Clock, CopySigning, HolderProofs, Observer, PresentationProofs,
    ProofRefused, Randomness, RepoError, StandingError, WalletStore, WalletStoreError,
};

pub use openid4vci::{AccessToken, TokenError};
pub use vc_api::{ExchangeError, PresentationRequest};

/// How long an access token and a nonce live: a wallet uses both within
/// seconds of getting them.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
pub const NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// The digits of a transaction code.
pub const TRANSACTION_CODE_DIGITS: usize = 6;

/// What the operator chose (`WALLET_OFFER_TTL_MINUTES`,
/// `WALLET_TX_CODE_ATTEMPTS`), and who this issuer is.
#[derive(Debug, Clone)]
pub struct WalletSettings {
    /// The credential issuer identifier: the audience every proof names.
    pub credential_issuer: String,
    pub offer_lifetime: Duration,
    pub transaction_code_attempts: u8,
}

/// An offer as the platform gets it: the secrets, this once.
#[derive(Debug, Clone)]
pub struct NewOffer {
    pub secret: String,
    pub transaction_code: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum OfferError {
    #[error("no certificate is known under this id")]
    NotFound,
    /// The message says why, in product words.
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Standing(#[from] StandingError),
    #[error(transparent)]
    Store(#[from] WalletStoreError),
}

/// OpenID4VCI's credential errors, by what the wallet must do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClaimError {
    #[error("the access token is not valid")]
    InvalidToken,
    #[error("{0}")]
    InvalidProof(&'static str),
    #[error("the nonce is unknown, used or expired")]
    InvalidNonce,
    /// The certificate may not be taken (any more).
    #[error("{0}")]
    Denied(&'static str),
    #[error(transparent)]
    Unnamed(#[from] NoLearnerOrCourse),
    #[error(transparent)]
    Bind(#[from] CannotBind),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Standing(#[from] StandingError),
    #[error(transparent)]
    Store(#[from] WalletStoreError),
}

impl From<ProofRefused> for ClaimError {
    fn from(refused: ProofRefused) -> Self {
        ClaimError::InvalidProof(refused.0)
    }
}

/// Reading a certificate and its standing failed.
#[derive(Debug, Clone, thiserror::Error)]
enum LookupError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Standing(#[from] StandingError),
}

impl From<LookupError> for OfferError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Repo(error) => OfferError::Repo(error),
            LookupError::Standing(error) => OfferError::Standing(error),
        }
    }
}

impl From<LookupError> for ClaimError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Repo(error) => ClaimError::Repo(error),
            LookupError::Standing(error) => ClaimError::Standing(error),
        }
    }
}

const NOT_ACTIVE: &str = "the certificate is revoked or suspended";

/// The ports wallet delivery uses.
pub struct WalletRoles {
    pub repo: Arc<dyn CertificateRepo>,
    pub standings: Arc<dyn CertificateStandings>,
    pub store: Arc<dyn WalletStore>,
    pub proofs: Arc<dyn HolderProofs>,
    pub presentations: Arc<dyn PresentationProofs>,
    pub signing: Arc<dyn CopySigning>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Randomness>,
    pub observer: Arc<dyn Observer>,
}

pub struct DeliverToWallet {
    roles: WalletRoles,
    settings: WalletSettings,
}

impl DeliverToWallet {
    pub fn new(roles: WalletRoles, settings: WalletSettings) -> Self {
        Self { roles, settings }
    }

    pub fn credential_issuer(&self) -> &str {
        &self.settings.credential_issuer
    }

    /// A new offer of the certificate, with a transaction code if asked.
    pub async fn offer(&self, certificate_id: &str, with_transaction_code: bool) -> Result<NewOffer, OfferError> {
        self.active(certificate_id).await?.ok_or(OfferError::NotFound)?.map_err(OfferError::Refused)?;
        let now = self.roles.clock.now();
        let secret = new_secret();
        let transaction_code = with_transaction_code.then(|| new_transaction_code(TRANSACTION_CODE_DIGITS));
        let expires_at = now + self.settings.offer_lifetime;
        let offer = WalletOffer {
            id: self.roles.ids.new_id(),
            certificate_id: certificate_id.to_owned(),
            secret: SecretDigest::of(&secret),
            transaction_code: transaction_code.as_deref().map(SecretDigest::of),
            expires_at,
            attempts_left: self.settings.transaction_code_attempts.max(1),
            redeemed: false,
        };
        self.roles.store.add_offer(&offer).await?;
        self.roles.observer.wallet_offered();
        tracing::info!(certificate_id, offer_id = %offer.id, "wallet offer made");
        Ok(NewOffer { secret, transaction_code, expires_at })
    }

    /// A fresh nonce for one proof.
    pub async fn nonce(&self) -> Result<String, WalletStoreError> {
        let nonce = new_secret();
        let expires_at = self.roles.clock.now() + NONCE_LIFETIME;
        self.roles.store.add_nonce(&SecretDigest::of(&nonce), expires_at).await?;
        Ok(nonce)
    }

    /// The holders of the certificate's copies.
    pub async fn holders(&self, certificate_id: &str) -> Result<Vec<String>, WalletStoreError> {
        self.roles.store.holders(certificate_id).await
    }

    /// The certificate's credential if it is active, its refusal if not;
    /// `None` when no certificate has this id.
    async fn active(
        &self,
        certificate_id: &str,
    ) -> Result<Option<Result<IssuedCredential, &'static str>>, LookupError> {
        let Some(recorded) = self.roles.repo.find_credential(certificate_id).await? else {
            return Ok(None);
        };
        let standing = self.roles.standings.standing(certificate_id).await?.standing;
        let active = !recorded.revoked && !recorded.suspended && standing == Standing::Active;
        Ok(Some(if active { Ok(recorded.credential) } else { Err(NOT_ACTIVE) }))
    }

    async fn copy(
        &self,
        certificate: &IssuedCredential,
        offer_id: Uuid,
        holder: &str,
        protocol: WalletProtocol,
        now: DateTime<Utc>,
    ) -> Result<WalletCopy, ClaimError> {
        let id = self.roles.ids.new_id();
        let credential = self.roles.signing.bind(certificate, holder, id, now)?;
        let copy = WalletCopy {
            id,
            certificate_id: certificate.certificate_id.clone(),
            offer_id,
            holder: holder.to_owned(),
            credential,
            claimed_at: now,
        };
        let event = CertificateEvent::certificate_claimed(certificate, &copy, protocol, self.roles.ids.new_id(), now)?;
        let recorded = self.roles.store.record_copy(&copy, &event).await?;
        if recorded.id == copy.id {
            self.roles.observer.wallet_copy_taken(protocol);
            tracing::info!(certificate_id = %copy.certificate_id, copy_id = %copy.id, event_id = %event.event_id, protocol = protocol.as_str(), "wallet copy taken");
        }
        Ok(recorded)
    }
}
