//! The VC-API exchange the Learner Credential Wallet speaks: the offer's
//! interaction URL (`…?iuv=1`) names the exchange; the wallet posts `{}` and
//! is asked for DID authentication over a challenge; it posts its signed
//! presentation and gets the copy bound to its DID in a presentation.
//! Refusals are `{"error", "error_description"}`, as the OpenID4VCI routes'.

use actix_web::{web, HttpResponse, ResponseError};
use certificate_domain::use_cases::ExchangeError;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::{delivery, WalletDelivery, EXCHANGE_PATH};
use crate::errors::OauthError;
use crate::schemas;
use crate::{ApiError, AppState};

/// The VC 2.0 context of the presentation the copy is answered in.
const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// `GET /vc-api/interactions/{offer}`: the protocols this offer is taken by.
#[utoipa::path(
    get,
    path = "/vc-api/interactions/{offer}",
    tag = "wallets",
    operation_id = "wallet_interaction",
    params(("offer" = String, Path, description = "The offer's secret, as the wallet-offer answer's interactionUrl names it", max_length = 64)),
    responses(
        (status = 200, description = "`{\"protocols\": {\"vcapi\": <the exchange>}}` (the interaction URL's `iuv=1` answer)", body = Object),
        (status = 404, description = "No open offer at this address: taken, expired or never made (or Sunbird RC signs the certificates)", body = schemas::Error),
        (status = 409, description = "transaction_code_only: the offer asks a transaction code, which only OpenID4VCI wallets give", body = schemas::OauthError),
        (status = 503, description = schemas::WALLET_STORE_UNAVAILABLE, body = schemas::OauthError),
    )
)]
pub(crate) async fn interaction(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let wallet = delivery(&state)?;
    let secret = path.into_inner();
    answer(wallet.deliver.exchangeable_offer(&secret).await.map(|()| {
        let exchange = wallet.endpoint(&format!("{EXCHANGE_PATH}{secret}"));
        HttpResponse::Ok().json(json!({ "protocols": { "vcapi": exchange } }))
    }))
}

/// `POST /vc-api/exchanges/{offer}`: `{}` asks what to present;
/// `{"verifiablePresentation": …}` presents it and takes the copy.
#[utoipa::path(
    post,
    path = "/vc-api/exchanges/{offer}",
    tag = "wallets",
    operation_id = "wallet_exchange",
    params(("offer" = String, Path, description = "The offer's secret", max_length = 64)),
    request_body(content = Object, content_type = "application/json",
        description = "`{}` to start; then `{\"verifiablePresentation\": <a VerifiablePresentation of the holder, proof purpose authentication, the challenge and domain asked>}`"),
    responses(
        (status = 200, description = "`{\"verifiablePresentationRequest\": {query: [DIDAuthentication], challenge, domain}}`, or `{\"verifiablePresentation\": {verifiableCredential: [the copy]}}`", body = Object),
        (status = 400, description = "invalid_presentation (the body too), invalid_challenge or credential_request_denied", body = schemas::OauthError),
        (status = 404, description = "No open offer at this address: taken, expired or never made (or Sunbird RC signs the certificates)", body = schemas::Error),
        (status = 409, description = "transaction_code_only", body = schemas::OauthError),
        (status = 500, description = "server_error: the copy could not be made", body = schemas::OauthError),
        (status = 503, description = schemas::WALLET_STORE_UNAVAILABLE, body = schemas::OauthError),
    )
)]
pub(crate) async fn exchange(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let wallet = delivery(&state)?;
    answer(exchanged(wallet, &path.into_inner(), &body).await)
}

/// The answer, or the refusal: a 404 in the envelope, as for an unknown
/// path; the others in OAuth's shape.
fn answer(result: Result<HttpResponse, ExchangeError>) -> Result<HttpResponse, ApiError> {
    match result {
        Ok(answer) => Ok(answer),
        Err(ExchangeError::NoOpenOffer) => Err(ApiError::NoOpenOffer),
        Err(error) => Ok(OauthError::from(error).error_response()),
    }
}

async fn exchanged(wallet: &WalletDelivery, secret: &str, body: &[u8]) -> Result<HttpResponse, ExchangeError> {
    let asked: Value = match body {
        [] => json!({}),
        body => serde_json::from_slice(body).map_err(|_| ExchangeError::InvalidPresentation("the body is not JSON"))?,
    };
    let Some(presentation) = asked.get("verifiablePresentation") else {
        let request = wallet.deliver.presentation_request(secret).await?;
        return Ok(HttpResponse::Ok().json(json!({ "verifiablePresentationRequest": {
            "query": [{
                "type": "DIDAuthentication",
                "acceptedMethods": [{ "method": "key" }],
                "acceptedCryptosuites": [
                    { "cryptosuite": "eddsa-rdfc-2022" },
                    { "cryptosuite": "eddsa-jcs-2022" },
                    { "cryptosuite": "Ed25519Signature2020" },
                ],
            }],
            "challenge": request.challenge,
            "domain": request.domain,
        }})));
    };
    let copy = wallet.deliver.exchange_copy(secret, presentation).await?;
    let credential = RawValue::from_string(copy.credential).expect("a copy is JSON: the signer made it");
    Ok(HttpResponse::Ok().json(json!({ "verifiablePresentation": {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    }})))
}
