//! Wallet delivery in process, on the in-memory store with a clock the test
//! moves: what expires when (the offer, the access token, the nonce), that
//! a proof is judged for this issuer and now, and that the copy is the
//! signer's with its event. The system tests (tests/tests/system/wallet.rs)
//! drive the same use case over HTTP on Postgres with real wallets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use certificate_domain::ports::{
    CannotBind, Clock, CopySigning, HolderProof, HolderProofs, PresentationProofs, PresentedHolder, ProofRefused,
    SystemClock, SystemRandomness,
};
use certificate_domain::use_cases::{
    ClaimError, DeliverToWallet, TokenError, WalletRoles, WalletSettings, ACCESS_TOKEN_LIFETIME, NONCE_LIFETIME,
};
use certificate_domain::{
    IssuanceRoles, IssueCertificate, IssueCommand, IssueRequest, IssuedCredential, RequestFields,
};
use certificate_memory::doubles::{FakeCredentialIssuer, RecordingObserver};
use certificate_memory::embedded::InMemoryStore;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

const ISSUER: &str = "https://certificates.example";
const OFFER_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// A clock the test moves.
struct MovingClock(Mutex<DateTime<Utc>>);

impl MovingClock {
    fn pass(&self, duration: Duration) {
        *self.0.lock().unwrap() += duration;
    }
}

impl Clock for MovingClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Proofs are the JSON of what they say: the test writes the claims it means.
struct ClaimsAsProofs;

impl HolderProofs for ClaimsAsProofs {
    fn holder_proof(&self, jwt: &str) -> Result<HolderProof, ProofRefused> {
        let claims: serde_json::Value = serde_json::from_str(jwt).map_err(|_| ProofRefused("not a test proof"))?;
        Ok(HolderProof {
            holder: claims["holder"].as_str().unwrap().to_owned(),
            audience: vec![claims["aud"].as_str().unwrap().to_owned()],
            issued_at: claims["iat"].as_str().unwrap().parse().unwrap(),
            nonce: claims["nonce"].as_str().map(str::to_owned),
        })
    }
}

/// A presentation is what it says, too.
impl PresentationProofs for ClaimsAsProofs {
    fn presented_holder(&self, presentation: &serde_json::Value) -> Result<PresentedHolder, ProofRefused> {
        let text = |name: &str| presentation[name].as_str().map(str::to_owned);
        Ok(PresentedHolder { holder: text("holder").unwrap(), challenge: text("challenge"), domain: text("domain") })
    }
}

/// A copy is the holder's name and its id, as text.
struct NamingSigner;

impl CopySigning for NamingSigner {
    fn bind(&self, _: &IssuedCredential, holder: &str, copy_id: Uuid, _: DateTime<Utc>) -> Result<String, CannotBind> {
        Ok(json!({"id": format!("urn:uuid:{copy_id}"), "holder": holder}).to_string())
    }
}

struct Fixture {
    store: Arc<InMemoryStore>,
    clock: Arc<MovingClock>,
    deliver: DeliverToWallet,
    certificate_id: String,
}

async fn fixture() -> Fixture {
    let store = Arc::new(InMemoryStore::new());
    let issuer = Arc::new(FakeCredentialIssuer::new());
    let issue = IssueCertificate::new(
        store.clone(),
        IssuanceRoles::played_by(issuer),
        Arc::new(SystemClock),
        Arc::new(RecordingObserver::default()),
    );
    let fields: RequestFields = serde_json::from_value(json!({
        "userId": Uuid::new_v4(), "courseId": "do_1", "courseName": "Intro", "firstName": "Ada", "lastName": "Lovelace",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z"
    }))
    .unwrap();
    let command = IssueCommand { request: IssueRequest::parse(fields).unwrap(), idempotency_key: None };
    let certificate_id = issue.issue(&command).await.unwrap().credential.certificate_id;
    let clock = Arc::new(MovingClock(Mutex::new(Utc::now())));
    let roles = WalletRoles {
        repo: store.clone(),
        standings: store.clone(),
        store: store.clone(),
        proofs: Arc::new(ClaimsAsProofs),
        presentations: Arc::new(ClaimsAsProofs),
        signing: Arc::new(NamingSigner),
        clock: clock.clone(),
        ids: Arc::new(SystemRandomness),
        observer: Arc::new(RecordingObserver::default()),
    };
    let settings = WalletSettings {
        credential_issuer: ISSUER.into(),
        offer_lifetime: OFFER_LIFETIME,
        transaction_code_attempts: 3,
    };
    Fixture { store, clock, deliver: DeliverToWallet::new(roles, settings), certificate_id }
}

impl Fixture {
    fn proof(&self, holder: &str, audience: &str, age: chrono::Duration, nonce: &str) -> String {
        let iat = self.clock.now() - age;
        json!({"holder": holder, "aud": audience, "iat": iat.to_rfc3339(), "nonce": nonce}).to_string()
    }

    async fn token(&self) -> String {
        let offer = self.deliver.offer(&self.certificate_id, false).await.unwrap();
        self.deliver.token(&offer.secret, None).await.unwrap().token
    }
}

#[tokio::test]
async fn an_offer_expires_after_its_lifetime_and_not_before() {
    let f = fixture().await;
    let early = f.deliver.offer(&f.certificate_id, false).await.unwrap();
    let late = f.deliver.offer(&f.certificate_id, false).await.unwrap();
    assert_eq!(late.expires_at, f.clock.now() + OFFER_LIFETIME);
    f.clock.pass(OFFER_LIFETIME - Duration::from_secs(1));
    assert!(f.deliver.token(&early.secret, None).await.is_ok(), "a second before it expires");
    f.clock.pass(Duration::from_secs(1));
    assert!(matches!(f.deliver.token(&late.secret, None).await, Err(TokenError::InvalidGrant)), "expired");
    assert_eq!(f.deliver.asks_transaction_code(&late.secret).await.unwrap(), None, "nor offered any more");
}

#[tokio::test]
async fn an_access_token_and_a_nonce_expire_after_five_minutes() {
    let f = fixture().await;
    let token = f.token().await;
    let nonce = f.deliver.nonce().await.unwrap();
    assert_eq!((ACCESS_TOKEN_LIFETIME, NONCE_LIFETIME), (Duration::from_secs(300), Duration::from_secs(300)));
    f.clock.pass(ACCESS_TOKEN_LIFETIME);
    let proof = f.proof("did:key:z6MkA", ISSUER, chrono::Duration::zero(), &nonce);
    assert!(matches!(f.deliver.take_copy(&token, &proof).await, Err(ClaimError::InvalidToken)), "an expired token");
    let fresh = f.token().await;
    assert!(matches!(f.deliver.take_copy(&fresh, &proof).await, Err(ClaimError::InvalidNonce)), "an expired nonce");
}

#[tokio::test]
async fn a_proof_must_name_this_issuer_be_recent_and_not_from_the_future() {
    let f = fixture().await;
    let token = f.token().await;
    let minutes = chrono::Duration::minutes;
    for (audience, age, why) in [
        ("https://elsewhere.example", minutes(0), "aud is not this credential issuer"),
        (ISSUER, minutes(6), "iat is too far from now"),
        (ISSUER, -minutes(2), "iat is too far from now"),
    ] {
        let proof = f.proof("did:key:z6MkA", audience, age, &f.deliver.nonce().await.unwrap());
        match f.deliver.take_copy(&token, &proof).await {
            Err(ClaimError::InvalidProof(refused)) => assert_eq!(refused, why),
            other => panic!("{why}: {other:?}"),
        }
    }
    let proof = f.proof("did:key:z6MkA", ISSUER, minutes(4), &f.deliver.nonce().await.unwrap());
    assert!(f.deliver.take_copy(&token, &proof).await.is_ok(), "four minutes old, with a clock a minute ahead");
}

#[tokio::test]
async fn a_copy_is_the_signers_with_one_claim_event_per_holder() {
    let f = fixture().await;
    let token = f.token().await;
    let events = f.store.events().len();
    let take = async |holder: &str| {
        let proof = f.proof(holder, ISSUER, chrono::Duration::zero(), &f.deliver.nonce().await.unwrap());
        f.deliver.take_copy(&token, &proof).await.unwrap()
    };
    let first = take("did:key:z6MkA").await;
    assert_eq!(
        first.credential,
        json!({"id": format!("urn:uuid:{}", first.id), "holder": "did:key:z6MkA"}).to_string()
    );
    assert_eq!(take("did:key:z6MkA").await, first, "the same holder, the same copy");
    let second = take("did:key:z6MkB").await;
    assert_ne!(second.id, first.id);
    assert_eq!(f.deliver.holders(&f.certificate_id).await.unwrap(), ["did:key:z6MkA", "did:key:z6MkB"]);
    let claims: Vec<String> = f.store.events()[events..].iter().map(|event| event.payload.clone()).collect();
    assert_eq!(claims.len(), 2, "one event per copy: {claims:?}");
    assert!(claims.iter().all(|payload| payload.contains("CERTIFICATE_CLAIMED")));
}
