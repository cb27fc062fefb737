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

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{
    new_secret, new_transaction_code, CertificateEvent, IssuedCredential, NoLearnerOrCourse, SecretDigest, Standing,
    WalletCopy, WalletGrant, WalletOffer, WalletProtocol,
};
use crate::ports::{
    CannotBind, CertificateRepo, CertificateStandings, Clock, CopySigning, HolderProofs, PresentationProofs,
    ProofRefused, Randomness, RepoError, StandingError, WalletStore, WalletStoreError,
};

/// How long an access token and a nonce live: a wallet uses both within
/// seconds of getting them.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
pub const NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// How old a proof may be, and how far ahead of this clock its `iat` may
/// run (another machine's clock).
const PROOF_AGE: Duration = Duration::from_secs(300);
const CLOCK_SKEW: Duration = Duration::from_secs(60);
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

/// An access token as the wallet gets it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: Duration,
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

/// OpenID4VCI's token errors, by what the wallet must do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// Unknown, used, expired or killed code, or a wrong transaction code.
    #[error("the pre-authorized code is not valid")]
    InvalidGrant,
    #[error("{0}")]
    InvalidRequest(&'static str),
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

/// The VC-API exchange's errors, by what the wallet must do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExchangeError {
    #[error("no open offer at this address: it was taken, it expired or it was never made")]
    NoOpenOffer,
    #[error("this offer asks a transaction code, which only an OpenID4VCI wallet can give")]
    TransactionCodeOnly,
    #[error("{0}")]
    InvalidPresentation(&'static str),
    #[error("the challenge is unknown, used or expired")]
    InvalidChallenge,
    /// Making or recording the copy failed, or the certificate may not be taken.
    #[error(transparent)]
    Copy(#[from] ClaimError),
}

impl From<WalletStoreError> for ExchangeError {
    fn from(error: WalletStoreError) -> Self {
        ExchangeError::Copy(ClaimError::Store(error))
    }
}

/// What the VC-API exchange asks of a wallet: DID authentication over a
/// fresh challenge, for this issuer.
#[derive(Debug, Clone)]
pub struct PresentationRequest {
    pub challenge: String,
    pub domain: String,
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
        tracing::info!(certificate_id, offer_id = %offer.id, "wallet offer made");
        Ok(NewOffer { secret, transaction_code, expires_at })
    }

    /// Whether the offer under this secret asks for a transaction code;
    /// `None` when no open offer has it.
    pub async fn asks_transaction_code(&self, secret: &str) -> Result<Option<bool>, WalletStoreError> {
        let offer = self.roles.store.offer(&SecretDigest::of(secret)).await?;
        let now = self.roles.clock.now();
        Ok(offer.filter(|offer| offer.open_at(now)).map(|offer| offer.transaction_code.is_some()))
    }

    /// The token endpoint's pre-authorized code grant.
    pub async fn token(&self, code: &str, transaction_code: Option<&str>) -> Result<AccessToken, TokenError> {
        let now = self.roles.clock.now();
        let offer = self.roles.store.offer(&SecretDigest::of(code)).await?;
        let offer = offer.filter(|offer| offer.open_at(now)).ok_or(TokenError::InvalidGrant)?;
        match (offer.transaction_code, transaction_code) {
            (Some(_), None) => return Err(TokenError::InvalidRequest("tx_code is required by this offer")),
            (None, Some(_)) => return Err(TokenError::InvalidRequest("tx_code is not expected by this offer")),
            (Some(expected), Some(given)) if SecretDigest::of(given) != expected => {
                let left = self.roles.store.wrong_transaction_code(offer.id).await?;
                tracing::warn!(offer_id = %offer.id, attempts_left = left, "wrong transaction code");
                return Err(TokenError::InvalidGrant);
            }
            _ => {}
        }
        let token = new_secret();
        let grant = WalletGrant {
            token: SecretDigest::of(&token),
            offer_id: offer.id,
            certificate_id: offer.certificate_id,
            expires_at: now + ACCESS_TOKEN_LIFETIME,
        };
        if !self.roles.store.redeem(offer.id, &grant, now).await? {
            return Err(TokenError::InvalidGrant);
        }
        Ok(AccessToken { token, expires_in: ACCESS_TOKEN_LIFETIME })
    }

    /// A fresh nonce for one proof.
    pub async fn nonce(&self) -> Result<String, WalletStoreError> {
        let nonce = new_secret();
        let expires_at = self.roles.clock.now() + NONCE_LIFETIME;
        self.roles.store.add_nonce(&SecretDigest::of(&nonce), expires_at).await?;
        Ok(nonce)
    }

    /// The copy of the token's certificate bound to the key that signed `proof`.
    pub async fn take_copy(&self, access_token: &str, proof: &str) -> Result<WalletCopy, ClaimError> {
        let now = self.roles.clock.now();
        let grant = self.roles.store.grant(&SecretDigest::of(access_token), now).await?;
        let grant = grant.ok_or(ClaimError::InvalidToken)?;
        let holder = self.holder(proof, now).await?;
        let Some(active) = self.active(&grant.certificate_id).await? else {
            return Err(ClaimError::Denied("the certificate is no longer known"));
        };
        let certificate = active.map_err(ClaimError::Denied)?;
        self.copy(&certificate, grant.offer_id, &holder, WalletProtocol::OpenId4Vci, now).await
    }

    /// Whether a VC-API wallet may take the offer under `secret` now.
    pub async fn exchangeable_offer(&self, secret: &str) -> Result<(), ExchangeError> {
        self.exchangeable(secret).await.map(drop)
    }

    /// The VC-API exchange's first step: what the wallet must present.
    pub async fn presentation_request(&self, secret: &str) -> Result<PresentationRequest, ExchangeError> {
        self.exchangeable(secret).await?;
        let challenge = self.nonce().await?;
        Ok(PresentationRequest { challenge, domain: self.settings.credential_issuer.clone() })
    }

    /// The VC-API exchange's second step: the copy bound to the holder who
    /// signed `presentation` over a challenge of this issuer's.
    pub async fn exchange_copy(
        &self,
        secret: &str,
        presentation: &serde_json::Value,
    ) -> Result<WalletCopy, ExchangeError> {
        let offer = self.exchangeable(secret).await?;
        let presented = self
            .roles
            .presentations
            .presented_holder(presentation)
            .map_err(|refused| ExchangeError::InvalidPresentation(refused.0))?;
        if presented.domain.as_deref() != Some(self.settings.credential_issuer.as_str()) {
            return Err(ExchangeError::InvalidPresentation("the presentation's domain is not this issuer"));
        }
        let now = self.roles.clock.now();
        let challenge = presented.challenge.as_deref().ok_or(ExchangeError::InvalidChallenge)?;
        if !self.roles.store.use_nonce(&SecretDigest::of(challenge), now).await? {
            return Err(ExchangeError::InvalidChallenge);
        }
        let certificate = match self.active(&offer.certificate_id).await.map_err(ClaimError::from)? {
            Some(active) => active.map_err(ClaimError::Denied)?,
            None => return Err(ClaimError::Denied("the certificate is no longer known").into()),
        };
        // The offer is spent as a token request spends it; the grant is never presented.
        let spent = WalletGrant {
            token: SecretDigest::of(&new_secret()),
            offer_id: offer.id,
            certificate_id: offer.certificate_id.clone(),
            expires_at: now,
        };
        if !self.roles.store.redeem(offer.id, &spent, now).await? {
            return Err(ExchangeError::NoOpenOffer);
        }
        Ok(self.copy(&certificate, offer.id, &presented.holder, WalletProtocol::VcApi, now).await?)
    }

    /// The open offer under `secret`, if a VC-API wallet may take it.
    async fn exchangeable(&self, secret: &str) -> Result<WalletOffer, ExchangeError> {
        let offer = self.roles.store.offer(&SecretDigest::of(secret)).await?;
        let offer = offer.filter(|offer| offer.open_at(self.roles.clock.now())).ok_or(ExchangeError::NoOpenOffer)?;
        match offer.transaction_code {
            Some(_) => Err(ExchangeError::TransactionCodeOnly),
            None => Ok(offer),
        }
    }

    /// The holders of the certificate's copies.
    pub async fn holders(&self, certificate_id: &str) -> Result<Vec<String>, WalletStoreError> {
        self.roles.store.holders(certificate_id).await
    }

    /// The DID that signed a proof made for this issuer, recently, over an unused nonce.
    async fn holder(&self, proof: &str, now: DateTime<Utc>) -> Result<String, ClaimError> {
        let proof = self.roles.proofs.holder_proof(proof)?;
        if !proof.audience.contains(&self.settings.credential_issuer) {
            return Err(ClaimError::InvalidProof("aud is not this credential issuer"));
        }
        if proof.issued_at < now - PROOF_AGE || proof.issued_at > now + CLOCK_SKEW {
            return Err(ClaimError::InvalidProof("iat is too far from now"));
        }
        let nonce = proof.nonce.as_deref().ok_or(ClaimError::InvalidNonce)?;
        if !self.roles.store.use_nonce(&SecretDigest::of(nonce), now).await? {
            return Err(ClaimError::InvalidNonce);
        }
        Ok(proof.holder)
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
            tracing::info!(certificate_id = %copy.certificate_id, copy_id = %copy.id, event_id = %event.event_id, protocol = protocol.as_str(), "wallet copy taken");
        }
        Ok(recorded)
    }
}
