//! OpenID4VCI's steps after the offer: the token endpoint's pre-authorized
//! code grant, and the credential endpoint's proof of possession.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{ClaimError, DeliverToWallet, ACCESS_TOKEN_LIFETIME};
use crate::model::{new_secret, SecretDigest, WalletCopy, WalletGrant, WalletProtocol};
use crate::ports::WalletStoreError;

/// How old a proof may be, and how far ahead of this clock its `iat` may
/// run (another machine's clock).
const PROOF_AGE: Duration = Duration::from_secs(300);
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// An access token as the wallet gets it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: Duration,
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

impl DeliverToWallet {
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
}
