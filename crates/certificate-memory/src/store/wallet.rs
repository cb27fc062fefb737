//! Wallet delivery in the embedded default: offers, grants, nonces and
//! copies under the store's one mutex (each step one statement in Postgres).

use async_trait::async_trait;
use certificate_domain::model::{SecretDigest, WalletCopy, WalletGrant, WalletOffer};
use certificate_domain::ports::{WalletStore, WalletStoreError};
use certificate_domain::CertificateEvent;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::InMemoryStore;

/// What the store keeps of wallet delivery.
#[derive(Default)]
pub(super) struct WalletRows {
    offers: Vec<WalletOffer>,
    grants: Vec<WalletGrant>,
    nonces: Vec<(SecretDigest, DateTime<Utc>)>,
    copies: Vec<WalletCopy>,
}

impl WalletRows {
    fn offer_mut(&mut self, id: Uuid) -> Option<&mut WalletOffer> {
        self.offers.iter_mut().find(|offer| offer.id == id)
    }
}

#[async_trait]
impl WalletStore for InMemoryStore {
    async fn add_offer(&self, offer: &WalletOffer) -> Result<(), WalletStoreError> {
        self.with_state(|state| {
            state.wallet.offers.push(offer.clone());
            Ok(())
        })
    }

    async fn offer(&self, secret: &SecretDigest) -> Result<Option<WalletOffer>, WalletStoreError> {
        self.with_state(|state| Ok(state.wallet.offers.iter().find(|offer| offer.secret == *secret).cloned()))
    }

    async fn wrong_transaction_code(&self, offer_id: Uuid) -> Result<u8, WalletStoreError> {
        self.with_state(|state| {
            let offer = state.wallet.offer_mut(offer_id);
            Ok(offer.map_or(0, |offer| {
                offer.attempts_left = offer.attempts_left.saturating_sub(1);
                offer.attempts_left
            }))
        })
    }

    async fn redeem(&self, offer_id: Uuid, grant: &WalletGrant, now: DateTime<Utc>) -> Result<bool, WalletStoreError> {
        self.with_state(|state| {
            let Some(offer) = state.wallet.offer_mut(offer_id).filter(|offer| offer.open_at(now)) else {
                return Ok(false);
            };
            offer.redeemed = true;
            state.wallet.grants.push(grant.clone());
            Ok(true)
        })
    }

    async fn grant(&self, token: &SecretDigest, now: DateTime<Utc>) -> Result<Option<WalletGrant>, WalletStoreError> {
        self.with_state(|state| {
            let grants = &state.wallet.grants;
            Ok(grants.iter().find(|grant| grant.token == *token && now < grant.expires_at).cloned())
        })
    }

    async fn add_nonce(&self, nonce: &SecretDigest, expires_at: DateTime<Utc>) -> Result<(), WalletStoreError> {
        self.with_state(|state| {
            state.wallet.nonces.push((*nonce, expires_at));
            Ok(())
        })
    }

    async fn use_nonce(&self, nonce: &SecretDigest, now: DateTime<Utc>) -> Result<bool, WalletStoreError> {
        self.with_state(|state| {
            let nonces = &mut state.wallet.nonces;
            let Some(at) = nonces.iter().position(|(digest, _)| digest == nonce) else { return Ok(false) };
            let (_, expires_at) = nonces.swap_remove(at);
            Ok(now < expires_at)
        })
    }

    async fn record_copy(&self, copy: &WalletCopy, event: &CertificateEvent) -> Result<WalletCopy, WalletStoreError> {
        self.with_state(|state| {
            let copies = &state.wallet.copies;
            if let Some(earlier) =
                copies.iter().find(|earlier| earlier.offer_id == copy.offer_id && earlier.holder == copy.holder)
            {
                return Ok(earlier.clone());
            }
            state.wallet.copies.push(copy.clone());
            state.queue_event(event);
            Ok(copy.clone())
        })
    }

    async fn holders(&self, certificate_id: &str) -> Result<Vec<String>, WalletStoreError> {
        self.with_state(|state| {
            let copies = state.wallet.copies.iter().filter(|copy| copy.certificate_id == certificate_id);
            Ok(copies.map(|copy| copy.holder.clone()).collect())
        })
    }

    async fn remove_expired(&self, before: DateTime<Utc>) -> Result<u64, WalletStoreError> {
        self.with_state(|state| {
            let wallet = &mut state.wallet;
            let count = wallet.offers.len() + wallet.grants.len() + wallet.nonces.len();
            wallet.offers.retain(|offer| offer.expires_at >= before);
            wallet.grants.retain(|grant| grant.expires_at >= before);
            wallet.nonces.retain(|(_, expires_at)| *expires_at >= before);
            Ok((count - wallet.offers.len() - wallet.grants.len() - wallet.nonces.len()) as u64)
        })
    }
}
