//! The `WalletStore` contract.

use std::future::Future;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{Duration, SubsecRound, Utc};
use uuid::Uuid;

use crate::model::{CertificateEvent, SecretDigest, WalletCopy, WalletGrant, WalletOffer};
use crate::ports::{DeliverBatch, Delivery, EventOutbox, PendingEvent, Selection, WalletStore};

/// Keeps the events it is handed and publishes them all.
#[derive(Default)]
struct Kept(Mutex<Vec<PendingEvent>>);

#[async_trait]
impl DeliverBatch for Kept {
    async fn deliver(&self, events: &[PendingEvent]) -> Vec<Delivery> {
        self.0.lock().unwrap().extend_from_slice(events);
        events.iter().map(|event| Delivery::Published { id: event.id }).collect()
    }
}

fn offer(certificate_id: &str, secret: &str, transaction_code: Option<&str>) -> WalletOffer {
    WalletOffer {
        id: Uuid::new_v4(),
        certificate_id: certificate_id.to_owned(),
        secret: SecretDigest::of(secret),
        transaction_code: transaction_code.map(SecretDigest::of),
        expires_at: (Utc::now() + Duration::minutes(30)).trunc_subsecs(6),
        attempts_left: 3,
        redeemed: false,
    }
}

fn grant(offer: &WalletOffer, token: &str) -> WalletGrant {
    WalletGrant {
        token: SecretDigest::of(token),
        offer_id: offer.id,
        certificate_id: offer.certificate_id.clone(),
        expires_at: (Utc::now() + Duration::minutes(5)).trunc_subsecs(6),
    }
}

/// Runs every check of the wallet store contract on a store from `fresh`:
/// an offer is found by its secret's digest only; wrong transaction codes
/// count down to 0 and a dead or expired offer is not redeemed; an offer is
/// redeemed once, its grant found by its token until it expires; a nonce is
/// used once, and not after it expired; a copy is recorded with its event
/// once per offer and holder, a repeat answering the first; holders are
/// listed per certificate; expired offers, grants and nonces are removed.
pub async fn check_wallet_store<S, F, Fut>(fresh: F)
where
    S: WalletStore + EventOutbox,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = fresh().await;
    let now = Utc::now().trunc_subsecs(6);
    let certificate = format!("urn:uuid:{}", Uuid::new_v4());
    let offered = offer(&certificate, "the secret", Some("123456"));
    store.add_offer(&offered).await.unwrap();
    assert_eq!(store.offer(&SecretDigest::of("the secret")).await.unwrap(), Some(offered.clone()));
    assert_eq!(store.offer(&SecretDigest::of("another secret")).await.unwrap(), None);

    assert_eq!(store.wrong_transaction_code(offered.id).await.unwrap(), 2);
    let first = grant(&offered, "the token");
    assert!(store.redeem(offered.id, &first, now).await.unwrap(), "an open offer is redeemed");
    assert!(!store.redeem(offered.id, &grant(&offered, "a second token"), now).await.unwrap(), "only once");
    assert!(store.offer(&offered.secret).await.unwrap().unwrap().redeemed);
    assert_eq!(store.grant(&SecretDigest::of("the token"), now).await.unwrap(), Some(first.clone()));
    assert_eq!(store.grant(&SecretDigest::of("a second token"), now).await.unwrap(), None);
    assert_eq!(store.grant(&first.token, first.expires_at).await.unwrap(), None, "an expired token grants nothing");

    let killed = offer(&certificate, "guessed at", Some("654321"));
    store.add_offer(&killed).await.unwrap();
    for left in [2, 1, 0, 0] {
        assert_eq!(store.wrong_transaction_code(killed.id).await.unwrap(), left);
    }
    assert!(!store.redeem(killed.id, &grant(&killed, "t"), now).await.unwrap(), "a dead offer is not redeemed");
    let expired = offer(&certificate, "late", None);
    store.add_offer(&expired).await.unwrap();
    assert!(!store.redeem(expired.id, &grant(&expired, "t2"), expired.expires_at).await.unwrap(), "nor an expired one");

    let nonce = SecretDigest::of("a nonce");
    store.add_nonce(&nonce, now + Duration::minutes(5)).await.unwrap();
    assert!(store.use_nonce(&nonce, now).await.unwrap());
    assert!(!store.use_nonce(&nonce, now).await.unwrap(), "a nonce is used once");
    let stale = SecretDigest::of("a stale nonce");
    store.add_nonce(&stale, now + Duration::minutes(5)).await.unwrap();
    assert!(!store.use_nonce(&stale, now + Duration::minutes(6)).await.unwrap(), "an expired nonce is refused");

    let copy = |holder: &str| WalletCopy {
        id: Uuid::new_v4(),
        certificate_id: certificate.clone(),
        offer_id: offered.id,
        holder: holder.to_owned(),
        credential: format!("{{\"holder\":\"{holder}\"}}"),
        claimed_at: now,
    };
    let event = |copy: &WalletCopy| CertificateEvent {
        event_id: Uuid::new_v4(),
        user_id: Uuid::new_v4(),
        key: "course".into(),
        payload: format!("{{\"copy\":\"{}\"}}", copy.id),
        created_at: now,
        due_at: now,
    };
    let taken = copy("did:key:z6MkHolder");
    assert_eq!(store.record_copy(&taken, &event(&taken)).await.unwrap(), taken);
    let again = copy("did:key:z6MkHolder");
    assert_eq!(store.record_copy(&again, &event(&again)).await.unwrap(), taken, "the same holder gets the same copy");
    let other = copy("did:jwk:eyJrdHkiOiJPS1AifQ");
    assert_eq!(store.record_copy(&other, &event(&other)).await.unwrap(), other);
    assert_eq!(store.holders(&certificate).await.unwrap(), ["did:key:z6MkHolder", "did:jwk:eyJrdHkiOiJPS1AifQ"]);
    assert_eq!(store.holders("urn:uuid:another").await.unwrap(), Vec::<String>::new());
    let kept = Kept::default();
    store.deliver(Selection::Due { limit: 100 }, &kept).await.unwrap();
    let payloads: Vec<String> = kept.0.lock().unwrap().iter().map(|event| event.payload.clone()).collect();
    assert_eq!(payloads, [event(&taken).payload, event(&other).payload], "one event per copy, none for the repeat");

    let removed = store.remove_expired(now + Duration::hours(1)).await.unwrap();
    assert_eq!(removed, 3 + 1, "three offers and the grant (the nonces went when asked for)");
    assert_eq!(store.offer(&offered.secret).await.unwrap(), None);
    assert_eq!(store.holders(&certificate).await.unwrap().len(), 2, "copies stay");
}
