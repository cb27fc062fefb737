//! OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow,
//! with this service as its own authorization server: the metadata, the
//! credential offer, the token, nonce and credential endpoints. Refusals
//! are OAuth error answers ([`OauthError`]); a service without wallet
//! delivery answers 404 in the envelope.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::{delivery, WalletDelivery, CREDENTIAL_PATH, NONCE_PATH, PRE_AUTHORIZED_GRANT, TOKEN_PATH};
use crate::errors::OauthError;
use crate::schemas;
use crate::{ApiError, AppState};
use certificate_domain::use_cases::TRANSACTION_CODE_DIGITS;

/// The metadata documents change only with a deployment.
const METADATA_CACHING: &str = "public, max-age=300";

/// `GET /.well-known/openid-credential-issuer`.
#[utoipa::path(
    get,
    path = "/.well-known/openid-credential-issuer",
    tag = "wallets",
    operation_id = "credential_issuer_metadata",
    responses(
        (status = 200, description = "OpenID4VCI 1.0 credential issuer metadata: one credential configuration (ldp_vc), proofs of possession as jwt (EdDSA, ES256)", body = Object),
        (status = 404, description = schemas::NO_WALLET_DELIVERY, body = schemas::Error),
    )
)]
pub(crate) async fn credential_issuer_metadata(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(issuer_metadata(delivery(&state)?))
}

/// `GET /.well-known/openid-credential-issuer/{issuerPath}`: the same, where
/// OpenID4VCI 1.0 (section 12.2.2) looks for it when the issuer's identifier
/// (`PUBLIC_BASE_URL`) has a path: inserted between the host and that path.
#[utoipa::path(
    get,
    path = "/.well-known/openid-credential-issuer/{issuerPath}",
    tag = "wallets",
    operation_id = "credential_issuer_metadata_of_a_path",
    params(("issuerPath" = String, Path, description = "The path of the issuer's identifier (PUBLIC_BASE_URL https://host/certs → certs)")),
    responses(
        (status = 200, description = "The credential issuer metadata, as at the root", body = Object),
        (status = 404, description = "Not the path of this issuer, or Sunbird RC signs the certificates", body = schemas::Error),
    )
)]
pub(crate) async fn credential_issuer_metadata_of_a_path(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(issuer_metadata(delivery_at(&state, &path)?))
}

fn issuer_metadata(wallet: &WalletDelivery) -> HttpResponse {
    let metadata = json!({
        "credential_issuer": wallet.deliver.credential_issuer(),
        "credential_endpoint": wallet.endpoint(CREDENTIAL_PATH),
        "nonce_endpoint": wallet.endpoint(NONCE_PATH),
        "display": [{ "name": wallet.issuer_name, "locale": "en" }],
        "credential_configurations_supported": { wallet.configuration_id.as_str(): wallet.configuration },
    });
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, METADATA_CACHING)).json(metadata)
}

/// The wallet delivery when `path` is its issuer identifier's path.
fn delivery_at<'a>(state: &'a AppState, path: &str) -> Result<&'a WalletDelivery, ApiError> {
    let wallet = delivery(state)?;
    match wallet.issuer_path() {
        Some(own) if own == path.trim_end_matches('/') => Ok(wallet),
        _ => Err(ApiError::NotFound),
    }
}

/// `GET /.well-known/oauth-authorization-server`.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "wallets",
    operation_id = "authorization_server_metadata",
    responses(
        (status = 200, description = "RFC 8414 metadata of the authorization server (this service): the pre-authorized code grant only, no client authentication", body = Object),
        (status = 404, description = schemas::NO_WALLET_DELIVERY, body = schemas::Error),
    )
)]
pub(crate) async fn authorization_server_metadata(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(authorization_metadata(delivery(&state)?))
}

/// `GET /.well-known/oauth-authorization-server/{issuerPath}`: the same,
/// where RFC 8414 (section 3.1) looks for it when the issuer has a path.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server/{issuerPath}",
    tag = "wallets",
    operation_id = "authorization_server_metadata_of_a_path",
    params(("issuerPath" = String, Path, description = "The path of the issuer's identifier (PUBLIC_BASE_URL https://host/certs → certs)")),
    responses(
        (status = 200, description = "The authorization server metadata, as at the root", body = Object),
        (status = 404, description = "Not the path of this issuer, or Sunbird RC signs the certificates", body = schemas::Error),
    )
)]
pub(crate) async fn authorization_server_metadata_of_a_path(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(authorization_metadata(delivery_at(&state, &path)?))
}

fn authorization_metadata(wallet: &WalletDelivery) -> HttpResponse {
    let metadata = json!({
        "issuer": wallet.deliver.credential_issuer(),
        "token_endpoint": wallet.endpoint(TOKEN_PATH),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": true,
        "token_endpoint_auth_methods_supported": ["none"],
    });
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, METADATA_CACHING)).json(metadata)
}

/// `GET /openid4vci/offers/{offer}`: what an offer's `credential_offer_uri` opens.
#[utoipa::path(
    get,
    path = "/openid4vci/offers/{offer}",
    tag = "wallets",
    operation_id = "credential_offer",
    params(("offer" = String, Path, description = "The offer's secret, as the wallet-offer answer's credentialOfferUri names it", max_length = 64)),
    responses(
        (status = 200, description = "The OpenID4VCI credential offer: the pre-authorized code and whether a transaction code is asked", body = Object),
        (status = 404, description = "No open offer has this secret (unknown, redeemed, expired or killed)", body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn credential_offer(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let wallet = delivery(&state)?;
    let secret = path.into_inner();
    let asks = wallet.deliver.asks_transaction_code(&secret).await.map_err(ApiError::Wallet)?;
    let asks_transaction_code = asks.ok_or(ApiError::NoOpenOffer)?;
    let mut grant = json!({ "pre-authorized_code": secret });
    if asks_transaction_code {
        grant["tx_code"] = json!({
            "input_mode": "numeric",
            "length": TRANSACTION_CODE_DIGITS,
            "description": "The code the platform sent you with this offer",
        });
    }
    let offer = json!({
        "credential_issuer": wallet.deliver.credential_issuer(),
        "credential_configuration_ids": [wallet.configuration_id],
        "grants": { PRE_AUTHORIZED_GRANT: grant },
    });
    Ok(HttpResponse::Ok().json(offer))
}

/// `POST /openid4vci/token`, form-encoded: the pre-authorized code grant.
#[utoipa::path(
    post,
    path = "/openid4vci/token",
    tag = "wallets",
    operation_id = "token",
    request_body(content = schemas::TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token for the offer's certificate, for 5 minutes", body = schemas::TokenAnswer),
        (status = 400, description = "invalid_grant (unknown, used, expired or killed code; wrong tx_code), invalid_request or unsupported_grant_type", body = schemas::OauthError),
        (status = 404, description = schemas::NO_WALLET_DELIVERY, body = schemas::Error),
        (status = 503, description = schemas::WALLET_STORE_UNAVAILABLE, body = schemas::OauthError),
    )
)]
pub(crate) async fn token(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let wallet = delivery(&state)?;
    Ok(match granted(wallet, &body).await {
        Ok(answer) => answer,
        Err(error) => error.error_response(),
    })
}

async fn granted(wallet: &WalletDelivery, body: &[u8]) -> Result<HttpResponse, OauthError> {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(body)
        .map_err(|_| OauthError::invalid_request("the body is not application/x-www-form-urlencoded"))?;
    match form.get("grant_type").map(String::as_str) {
        Some(PRE_AUTHORIZED_GRANT) => {}
        Some(_) => return Err(OauthError::unsupported_grant_type()),
        None => return Err(OauthError::invalid_request("grant_type is required")),
    }
    let code = form.get("pre-authorized_code").ok_or(OauthError::invalid_request("pre-authorized_code is required"))?;
    let token = wallet.deliver.token(code, form.get("tx_code").map(String::as_str)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "access_token": token.token,
        "token_type": "Bearer",
        "expires_in": token.expires_in.as_secs(),
    })))
}

/// `POST /openid4vci/nonce`: a nonce for one proof.
#[utoipa::path(
    post,
    path = "/openid4vci/nonce",
    tag = "wallets",
    operation_id = "nonce",
    responses(
        (status = 200, description = "A nonce for one proof, for 5 minutes", body = schemas::NonceAnswer),
        (status = 404, description = schemas::NO_WALLET_DELIVERY, body = schemas::Error),
        (status = 503, description = schemas::WALLET_STORE_UNAVAILABLE, body = schemas::OauthError),
    )
)]
pub(crate) async fn nonce(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let wallet = delivery(&state)?;
    Ok(match wallet.deliver.nonce().await {
        Ok(nonce) => HttpResponse::Ok().json(json!({ "c_nonce": nonce })),
        Err(error) => OauthError::from(error).error_response(),
    })
}

#[derive(Deserialize)]
struct CredentialRequest {
    credential_configuration_id: Option<String>,
    /// 1.0: one proof in a list.
    proofs: Option<Proofs>,
    /// Drafts 13 to 15: one proof.
    proof: Option<SingleProof>,
}

#[derive(Deserialize)]
struct Proofs {
    jwt: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct SingleProof {
    proof_type: String,
    jwt: Option<String>,
}

/// `POST /openid4vci/credential`: the copy bound to the proof's key.
#[utoipa::path(
    post,
    path = "/openid4vci/credential",
    tag = "wallets",
    operation_id = "credential",
    request_body(content = schemas::CredentialRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The certificate bound to the holder: its own id, the certificate's status entries", body = schemas::CredentialAnswer),
        (status = 400, description = "invalid_credential_request, unknown_credential_configuration, invalid_proof, invalid_nonce or credential_request_denied (the certificate is revoked or suspended)", body = schemas::OauthError),
        (status = 401, description = "invalid_token: no access token, or an unknown or expired one", body = schemas::OauthError),
        (status = 404, description = schemas::NO_WALLET_DELIVERY, body = schemas::Error),
        (status = 500, description = "server_error: the copy could not be made", body = schemas::OauthError),
        (status = 503, description = schemas::WALLET_STORE_UNAVAILABLE, body = schemas::OauthError),
    )
)]
pub(crate) async fn credential(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let wallet = delivery(&state)?;
    Ok(match issued(wallet, &request, &body).await {
        Ok(answer) => answer,
        Err(error) => error.error_response(),
    })
}

async fn issued(wallet: &WalletDelivery, request: &HttpRequest, body: &[u8]) -> Result<HttpResponse, OauthError> {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty());
    let token = token.ok_or_else(OauthError::no_access_token)?;
    let invalid = OauthError::invalid_credential_request;
    let asked: CredentialRequest =
        serde_json::from_slice(body).map_err(|_| invalid("the body is not a credential request"))?;
    match asked.credential_configuration_id.as_deref() {
        Some(id) if id == wallet.configuration_id => {}
        Some(_) => return Err(OauthError::unknown_credential_configuration()),
        None => return Err(invalid("credential_configuration_id is required")),
    }
    let proof = match (asked.proofs, asked.proof) {
        (Some(Proofs { jwt: Some(mut jwts) }), None) if jwts.len() == 1 => jwts.pop(),
        (None, Some(SingleProof { proof_type, jwt })) if proof_type == "jwt" => jwt,
        _ => None,
    };
    let proof = proof.ok_or_else(OauthError::one_jwt_proof)?;
    let copy = wallet.deliver.take_copy(token, &proof).await?;
    let credential = RawValue::from_string(copy.credential).map_err(|_| OauthError::copy_failed())?;
    Ok(HttpResponse::Ok().json(json!({ "credentials": [{ "credential": credential }] })))
}
