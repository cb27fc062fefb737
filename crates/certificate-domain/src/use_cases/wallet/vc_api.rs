//! The VC-API exchange's steps: what the wallet must present, and the copy
//! for the presentation it signed.

use super::{ClaimError, DeliverToWallet};
use crate::model::{new_secret, SecretDigest, WalletCopy, WalletGrant, WalletOffer, WalletProtocol};
use crate::ports::WalletStoreError;

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

impl DeliverToWallet {
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
}
