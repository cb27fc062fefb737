//! A certificate into its learner's wallet over OpenID4VCI's pre-authorized
//! code flow: taken by a wallet nobody here wrote the protocol of
//! (tests/wallet/claim.mjs on @openid4vc/openid4vci, over HTTPS), verified by
//! DCC's verifier-core bound to the wallet's DID and revoked with the
//! certificate; and every attack on the offer, the token, the nonce and the
//! proof refused with the specification's error code, across two replicas.

use std::time::Duration;

use certificate_system_tests::{
    claimed_by_wallet, claimed_over_vc_api, consume, contract_body, dcc_verified_trusting, with, HandWallet, Stack,
    TestApp, TlsFront, KAFKA_BROKERS,
};
use serde_json::{json, Value};

const API: &str = "platform-token";
const ADMIN: &str = "operator-token";

/// The request issued, and the credential.
async fn issued(app: &TestApp) -> (Value, Value) {
    let mut body = contract_body();
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    let answer = app.issue_with(&body, &[("Authorization", &format!("Bearer {API}"))]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (body, answer.body["data"]["credential"].clone())
}

/// The wallet-offer answer's data, asked by the platform.
async fn offered(app: &TestApp, certificate_id: &str, transaction_code: bool) -> Value {
    let path = format!("/certificate/{certificate_id}/wallet-offer");
    let body = json!({ "transactionCode": transaction_code });
    let answer = app.post_json(&path, &body, &[("Authorization", &format!("Bearer {API}"))]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["data"].clone()
}

async fn revoke(app: &TestApp, certificate_id: &str) {
    let path = format!("/certificate/{certificate_id}/revoke");
    let answer = app
        .post_json(&path, &json!({"reason": "issued by mistake"}), &[("Authorization", &format!("Bearer {ADMIN}"))])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

fn tokens() -> [(&'static str, &'static str); 2] {
    [("API_TOKENS", API), ("ADMIN_TOKENS", ADMIN)]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wallet_nobody_here_wrote_takes_the_certificate_and_dccs_verifier_follows_its_revocation() {
    let stack = Stack::new().await;
    let mut front = TlsFront::start();
    let public = format!("https://localhost:{}", front.port);
    let app = TestApp::spawn(with(stack.local_issuer_env(&tokens()), &[("PUBLIC_BASE_URL", &public)])).await;
    front.forward_to(&app.url(""));
    let (request, badge) = issued(&app).await;
    let certificate_id = badge["id"].as_str().unwrap();
    let trusted = Some(front.certificate());

    let offer = offered(&app, certificate_id, false).await;
    let link = offer["credentialOffer"].as_str().unwrap();
    assert!(link.starts_with("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Flocalhost%3A"), "{link}");
    assert!(offer["qrCode"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
    assert!(offer.get("transactionCode").is_none(), "none asked: {offer}");
    let by_did_key = claimed_by_wallet(link, &[], trusted).expect("the wallet took the certificate");
    let copy = &by_did_key.credential;
    assert!(by_did_key.holder.starts_with("did:key:z6Mk"), "{}", by_did_key.holder);
    assert_eq!(copy["credentialSubject"]["id"], by_did_key.holder.as_str(), "bound to the wallet's key");
    assert_ne!(copy["id"], badge["id"], "a copy has an id of its own");
    assert_eq!(copy["credentialStatus"], badge["credentialStatus"], "and the certificate's status");
    assert_eq!(copy["credentialSubject"]["achievement"], badge["credentialSubject"]["achievement"]);
    let again = claimed_by_wallet(link, &[], trusted).expect_err("an offer is taken once");
    assert!(again.contains("404") && again.contains("it was taken"), "{again}");

    let with_code = offered(&app, certificate_id, true).await;
    let code = with_code["transactionCode"].as_str().unwrap();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let link = with_code["credentialOffer"].as_str().unwrap();
    let by_jwk = claimed_by_wallet(link, &["--key", "p256", "--tx-code", code], trusted).expect("ES256, by its JWK");
    assert!(by_jwk.holder.starts_with("did:jwk:"), "{}", by_jwk.holder);

    let for_lcw = offered(&app, certificate_id, false).await;
    let interaction = for_lcw["interactionUrl"].as_str().unwrap();
    assert!(interaction.ends_with("?iuv=1"), "{interaction}");
    let by_vc_api = claimed_over_vc_api(interaction, &[], trusted).expect("the VC-API exchange gave the copy");
    assert_eq!(by_vc_api.credential["credentialSubject"]["id"], by_vc_api.holder.as_str());
    assert!(with_code.get("interactionUrl").is_none(), "VC-API has no place for a transaction code");

    for claimed in [&by_did_key, &by_jwk, &by_vc_api] {
        let dcc = dcc_verified_trusting(&claimed.credential, trusted);
        assert!(dcc.signature_valid, "DCC's verifier-core: {}", dcc.printed);
        assert_eq!(dcc.not_revoked, Some(true), "{}", dcc.printed);
        // As of every badge (open_badges.rs): the schema's JSON-LD variant wants even one proof in a list.
        assert!(dcc.schema_errors.iter().all(|error| error == "/proof must be array"), "{:?}", dcc.schema_errors);
    }
    let (user, course) = (request["userId"].clone(), request["courseId"].clone());
    let read = app
        .send(
            "GET",
            &format!("/certificate/{}/{}", user.as_str().unwrap(), course.as_str().unwrap()),
            "",
            vec![],
            &[("Authorization", &format!("Bearer {API}"))],
        )
        .await;
    let holders = json!([by_did_key.holder, by_jwk.holder, by_vc_api.holder]);
    assert_eq!(read.body["data"]["walletHolders"], holders, "{}", read.body);

    app.assert_metrics(&[
        "certificate_wallet_offers_total 3",
        "certificate_wallet_copies_total{protocol=\"openid4vci\"} 2",
        "certificate_wallet_copies_total{protocol=\"vc-api\"} 1",
    ])
    .await;

    revoke(&app, certificate_id).await;
    for claimed in [&by_did_key, &by_jwk, &by_vc_api] {
        let dcc = dcc_verified_trusting(&claimed.credential, trusted);
        assert_eq!(dcc.not_revoked, Some(false), "a copy is revoked with its certificate: {}", dcc.printed);
    }
    let authorization = format!("Bearer {API}");
    let path = format!("/certificate/{certificate_id}/wallet-offer");
    let refused = app.post_json(&path, &json!({}), &[("Authorization", &authorization)]).await;
    assert_eq!(refused.status, 409, "a revoked certificate is offered to no wallet: {}", refused.body);

    // Issued, claimed thrice, revoked: the broker validated each against schema 2.1.0.
    let records = consume(KAFKA_BROKERS, &stack.topic, 5, Duration::from_secs(1), Duration::from_secs(30));
    let kinds: Vec<&str> = records.iter().map(|r| r.value["data"]["eventType"].as_str().unwrap()).collect();
    let claimed = "CERTIFICATE_CLAIMED";
    assert_eq!(kinds, ["CERTIFICATE_ISSUED", claimed, claimed, claimed, "CERTIFICATE_REVOKED"]);
    let claims = || records[1..4].iter().map(|r| &r.value["data"]);
    assert_eq!(claims().map(|data| data["holder"].clone()).collect::<Vec<_>>(), holders.as_array().unwrap().clone());
    let protocols: Vec<&str> = claims().map(|data| data["protocol"].as_str().unwrap()).collect();
    assert_eq!(protocols, ["openid4vci", "openid4vci", "vc-api"]);
    assert!(records.iter().all(|r| r.key.as_deref() == course.as_str()), "on the certificate's key");

    // An offer is a bearer secret: in no event and no log line.
    let secrets = [&offer, &with_code, &for_lcw].map(|offer| offer["credentialOfferUri"].as_str().unwrap());
    for secret in secrets.map(|uri| uri.rsplit('/').next().unwrap().to_owned()).iter().chain([&code.to_owned()]) {
        assert!(!app.logs().iter().any(|line| line.contains(secret.as_str())), "{secret} was logged");
        assert!(!records.iter().any(|r| r.value.to_string().contains(secret.as_str())), "{secret} in an event");
    }
}

/// Each step of the flow, the way a wallet sends it.
struct Steps<'a> {
    app: &'a TestApp,
}

impl Steps<'_> {
    async fn token(&self, form: &str) -> (u16, Value) {
        let answer =
            self.app.send("POST", "/openid4vci/token", "application/x-www-form-urlencoded", form.into(), &[]).await;
        (answer.status, answer.body)
    }

    async fn redeemed(&self, code: &str) -> String {
        let (status, body) = self.token(&format!("grant_type={GRANT}&pre-authorized_code={code}")).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn nonce(&self) -> String {
        let answer = self.app.send("POST", "/openid4vci/nonce", "", vec![], &[]).await;
        answer.body["c_nonce"].as_str().unwrap().to_owned()
    }

    async fn credential(&self, token: Option<&str>, proof: &str) -> (u16, Value) {
        let body = json!({"credential_configuration_id": "OpenBadgeCredential", "proofs": {"jwt": [proof]}});
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|value| ("Authorization", value.as_str())).collect();
        let answer = self.app.post_json("/openid4vci/credential", &body, &headers).await;
        (answer.status, answer.body)
    }
}

const GRANT: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";

fn secret_of(offer: &Value) -> String {
    offer["credentialOfferUri"].as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

fn error_of(answer: &(u16, Value)) -> (u16, &str) {
    (answer.0, answer.1["error"].as_str().unwrap_or("(none)"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_attack_on_the_code_the_token_the_nonce_and_the_proof_is_refused_on_any_replica() {
    let stack = Stack::new().await;
    let env = with(stack.local_issuer_env(&tokens()), &[("PUBLIC_BASE_URL", "https://certificates.example")]);
    let (one, other) = (TestApp::spawn(env.clone()).await, TestApp::spawn(env).await);
    let (_, badge) = issued(&one).await;
    let certificate_id = badge["id"].as_str().unwrap();
    let (here, there) = (Steps { app: &one }, Steps { app: &other });
    let audience = "https://certificates.example";

    // The code: single use, on any replica; a wrong transaction code thrice kills the offer.
    let offer = offered(&one, certificate_id, false).await;
    let code = secret_of(&offer);
    let token = there.redeemed(&code).await;
    let reuse = here.token(&format!("grant_type={GRANT}&pre-authorized_code={code}")).await;
    assert_eq!(error_of(&reuse), (400, "invalid_grant"), "{:?}", reuse.1);
    assert_eq!(
        error_of(&here.token(&format!("grant_type={GRANT}&pre-authorized_code=guessed")).await),
        (400, "invalid_grant")
    );
    let other_grant = here.token(&format!("grant_type=authorization_code&code={code}")).await;
    assert_eq!(error_of(&other_grant), (400, "unsupported_grant_type"));
    let guarded = offered(&one, certificate_id, true).await;
    let (guarded_code, right) = (secret_of(&guarded), guarded["transactionCode"].as_str().unwrap().to_owned());
    let without = here.token(&format!("grant_type={GRANT}&pre-authorized_code={guarded_code}")).await;
    assert_eq!(error_of(&without), (400, "invalid_request"), "the transaction code is asked for");
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for steps in [&here, &there, &here] {
        let attempt =
            steps.token(&format!("grant_type={GRANT}&pre-authorized_code={guarded_code}&tx_code={wrong}")).await;
        assert_eq!(error_of(&attempt), (400, "invalid_grant"));
    }
    let too_late = there.token(&format!("grant_type={GRANT}&pre-authorized_code={guarded_code}&tx_code={right}")).await;
    assert_eq!(error_of(&too_late), (400, "invalid_grant"), "three wrong codes killed the offer");

    // The token: required, and only a real one.
    let wallet = HandWallet::new();
    let proof = |nonce: &str| wallet.proof(&wallet.header(), &HandWallet::claims(audience, nonce));
    let nonce = here.nonce().await;
    assert_eq!(error_of(&here.credential(None, &proof(&nonce)).await), (401, "invalid_token"));
    assert_eq!(error_of(&here.credential(Some("forged"), &proof(&nonce)).await), (401, "invalid_token"));

    // The proof: each flaw its own refusal; the nonce stays unused until a proof holds.
    let mut header = wallet.header();
    header["typ"] = json!("JWT");
    let typ = wallet.proof(&header, &HandWallet::claims(audience, &nonce));
    let mut header = wallet.header();
    header["alg"] = json!("none");
    let none = format!("{}.", wallet.proof(&header, &HandWallet::claims(audience, &nonce)).rsplit_once('.').unwrap().0);
    let aud = wallet.proof(&wallet.header(), &HandWallet::claims("https://elsewhere.example", &nonce));
    let mut old = HandWallet::claims(audience, &nonce);
    old["iat"] = json!(chrono::Utc::now().timestamp() - 600);
    let stale = wallet.proof(&wallet.header(), &old);
    let thief = HandWallet::new();
    let forged = thief.proof(&wallet.header(), &HandWallet::claims(audience, &nonce));
    for (flaw, bad) in [("typ", typ), ("alg none", none), ("aud", aud), ("iat", stale), ("another key", forged)] {
        let refused = here.credential(Some(&token), &bad).await;
        assert_eq!(error_of(&refused), (400, "invalid_proof"), "{flaw}: {:?}", refused.1);
    }
    let no_nonce = wallet.proof(&wallet.header(), &json!({"aud": audience, "iat": chrono::Utc::now().timestamp()}));
    assert_eq!(error_of(&here.credential(Some(&token), &no_nonce).await), (400, "invalid_nonce"));
    assert_eq!(error_of(&here.credential(Some(&token), &proof("made-up")).await), (400, "invalid_nonce"));

    // The copy, on the other replica; a nonce once; the same key again gets the same copy.
    let (status, taken) = there.credential(Some(&token), &proof(&nonce)).await;
    assert_eq!(status, 200, "{taken}");
    let copy = &taken["credentials"][0]["credential"];
    assert_eq!(copy["credentialSubject"]["id"], wallet.did.as_str());
    assert_eq!(error_of(&here.credential(Some(&token), &proof(&nonce)).await), (400, "invalid_nonce"), "used");
    let (_, again) = here.credential(Some(&token), &proof(&there.nonce().await)).await;
    assert_eq!(again["credentials"][0]["credential"]["id"], copy["id"], "one copy per holder key");

    // Revoked: the token takes nothing more.
    revoke(&one, certificate_id).await;
    let denied = here.credential(Some(&token), &proof(&here.nonce().await)).await;
    assert_eq!(error_of(&denied), (400, "credential_request_denied"), "{:?}", denied.1);
    assert!(denied.1.to_string().len() < 200 && !denied.1.to_string().contains("Repo"), "no internals: {}", denied.1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_vc_api_exchange_wants_the_challenge_and_domain_it_gave_and_spends_the_offer() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(stack.local_issuer_env(&tokens())).await;
    let (_, badge) = issued(&app).await;
    let certificate_id = badge["id"].as_str().unwrap();
    let interaction = |offer: &Value| offer["interactionUrl"].as_str().unwrap().to_owned();

    let offer = interaction(&offered(&app, certificate_id, false).await);
    let made_up = claimed_over_vc_api(&offer, &["--challenge", "made-up"], None).expect_err("a challenge not given");
    assert!(made_up.contains("invalid_challenge"), "{made_up}");
    let elsewhere = claimed_over_vc_api(&offer, &["--domain", "https://elsewhere.example"], None).expect_err("domain");
    assert!(elsewhere.contains("invalid_presentation") && elsewhere.contains("domain"), "{elsewhere}");
    let taken = claimed_over_vc_api(&offer, &[], None).expect("the refusals spent nothing");
    assert!(taken.holder.starts_with("did:key:z6Mk"));
    let again = claimed_over_vc_api(&offer, &[], None).expect_err("an offer is taken once");
    assert!(again.contains("404") && again.contains("it was taken"), "{again}");

    let guarded = offered(&app, certificate_id, true).await;
    let exchange = format!("/vc-api/interactions/{}", secret_of(&guarded));
    let refused = app.get(&exchange).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (409, Some("transaction_code_only")));
    let unsigned = json!({"verifiablePresentation": {"@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"], "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}});
    let open = offered(&app, certificate_id, false).await;
    let path = format!("/vc-api/exchanges/{}", secret_of(&open));
    let answer = app.post_json(&path, &unsigned, &[]).await;
    assert_eq!((answer.status, answer.body["error"].as_str()), (400, Some("invalid_presentation")), "{}", answer.body);
}

/// The Learner Credential Wallet authenticates with Ed25519Signature2020
/// (the Digital Credentials Consortium's own libraries, as it signs), its
/// presentation under VC 2.0's context or, as its earlier releases, 1.1's:
/// the exchange takes either, binds the copy to the wallet's DID, and DCC's
/// verifier accepts the copy. A changed challenge is still refused.
#[tokio::test(flavor = "multi_thread")]
async fn the_learner_credential_wallets_own_authentication_takes_the_copy() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(stack.local_issuer_env(&tokens())).await;
    let (_, badge) = issued(&app).await;
    let certificate_id = badge["id"].as_str().unwrap();
    for version in ["2.0", "1.1"] {
        let offer = offered(&app, certificate_id, false).await;
        let interaction = offer["interactionUrl"].as_str().unwrap();
        let lcw = ["--suite", "Ed25519Signature2020", "--vc", version];
        let made_up = claimed_over_vc_api(interaction, &[&lcw[..], &["--challenge", "made-up"]].concat(), None);
        assert!(made_up.expect_err("a challenge not given").contains("invalid_challenge"), "VC {version}");
        let claimed = claimed_over_vc_api(interaction, &lcw, None).expect("the LCW's authentication is taken");
        assert!(claimed.holder.starts_with("did:key:z6Mk"), "VC {version}: {}", claimed.holder);
        assert_eq!(claimed.credential["credentialSubject"]["id"], claimed.holder.as_str(), "bound to the wallet's DID");
        let dcc = dcc_verified_trusting(&claimed.credential, None);
        assert!(dcc.signature_valid && dcc.not_revoked == Some(true), "DCC's verifier-core: {}", dcc.printed);
    }
}

/// Served under a path (`PUBLIC_BASE_URL=https://host/certs` behind a proxy
/// that mounts the service there), the issuer's metadata is where
/// OpenID4VCI 1.0 and RFC 8414 put it, between the host and the path
/// (`/.well-known/openid-credential-issuer/certs`): the wallet nobody here
/// wrote finds it there and takes the certificate; another path is a 404.
#[tokio::test(flavor = "multi_thread")]
async fn a_wallet_finds_the_metadata_of_an_issuer_served_under_a_path() {
    let stack = Stack::new().await;
    let mut front = TlsFront::start_mounted_at("/certs");
    let public = format!("https://localhost:{}/certs", front.port);
    let app = TestApp::spawn(with(stack.local_issuer_env(&tokens()), &[("PUBLIC_BASE_URL", &public)])).await;
    front.forward_to(&app.url(""));
    let (_, badge) = issued(&app).await;
    let offer = offered(&app, badge["id"].as_str().unwrap(), false).await;
    let link = offer["credentialOffer"].as_str().unwrap();
    let claimed = claimed_by_wallet(link, &[], Some(front.certificate())).expect("the wallet took the certificate");
    assert_eq!(claimed.credential["credentialSubject"]["id"], claimed.holder.as_str());

    let metadata = app.get("/.well-known/openid-credential-issuer/certs").await;
    assert_eq!((metadata.status, metadata.body["credential_issuer"].as_str()), (200, Some(public.as_str())));
    let server = app.get("/.well-known/oauth-authorization-server/certs/").await;
    assert_eq!(server.body["token_endpoint"], format!("{public}/openid4vci/token"), "{}", server.body);
    assert_eq!(app.get("/.well-known/openid-credential-issuer/elsewhere").await.status, 404);
    app.assert_metrics(&[
        "certificate_http_requests_total{route=\"/.well-known/openid-credential-issuer/{issuerPath:.+}\",method=\"GET\",status=\"200\"} 2",
    ])
    .await;
}
