//! Wallet delivery over HTTP. The platform's route (`POST
//! /certificate/{certificateId}/wallet-offer`, behind the API's tokens,
//! answered in the envelope) and OpenID for Verifiable Credential Issuance
//! 1.0's routes for wallets (open: each step checks the secret the previous
//! one gave, and answers in OAuth's shapes, never the envelope):
//! - `GET /.well-known/openid-credential-issuer`, `GET /.well-known/oauth-authorization-server`:
//!   the issuer's and its authorization server's metadata (this service is both),
//!   also under the issuer identifier's path when `PUBLIC_BASE_URL` has one
//!   (`/.well-known/openid-credential-issuer/certs` for `https://host/certs`);
//! - `GET /openid4vci/offers/{offer}`: the credential offer a `credential_offer_uri` names;
//! - `POST /openid4vci/token`: the pre-authorized code grant (form-encoded);
//! - `POST /openid4vci/nonce`, `POST /openid4vci/credential`;
//!
//! and the VC-API exchange of DCC's Learner Credential Wallet:
//! `GET /vc-api/interactions/{offer}` and `POST /vc-api/exchanges/{offer}`.
//!
//! Without the built-in issuer (Sunbird RC signs) there is nothing to bind
//! to a wallet's key: the offer route answers 409 and the others 404.

pub(crate) mod offer;
pub(crate) mod openid4vci;
pub(crate) mod vc_api;

use std::sync::Arc;

use certificate_domain::use_cases::DeliverToWallet;
use serde_json::Value;

/// What the wallet routes need: the use case and the one credential
/// configuration a copy is issued under.
#[derive(Clone)]
pub struct WalletDelivery {
    pub deliver: Arc<DeliverToWallet>,
    /// Its key in `credential_configurations_supported`.
    pub configuration_id: String,
    /// OpenID4VCI's description of it (format `ldp_vc`).
    pub configuration: Value,
    /// The issuer's name, for a wallet to show.
    pub issuer_name: String,
}

/// The wallet routes' delivery; a 404 where there is none (Sunbird RC).
fn delivery(state: &crate::AppState) -> Result<&WalletDelivery, crate::ApiError> {
    state.wallet.as_ref().ok_or(crate::ApiError::NotFound)
}

impl WalletDelivery {
    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.deliver.credential_issuer())
    }

    /// The path of the issuer's identifier, without its slashes
    /// (`https://host/certs/` → `certs`); `None` at the host's root.
    fn issuer_path(&self) -> Option<&str> {
        let issuer = self.deliver.credential_issuer();
        let after_scheme = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
        let path = after_scheme.split_once('/').map_or("", |(_, path)| path).trim_matches('/');
        (!path.is_empty()).then_some(path)
    }
}

const OFFER_PATH: &str = "/openid4vci/offers/";
const TOKEN_PATH: &str = "/openid4vci/token";
const NONCE_PATH: &str = "/openid4vci/nonce";
const CREDENTIAL_PATH: &str = "/openid4vci/credential";
const INTERACTION_PATH: &str = "/vc-api/interactions/";
const EXCHANGE_PATH: &str = "/vc-api/exchanges/";
/// A request's path as it may be logged: an offer's secret in it (the
/// offer URI, the VC-API interaction and exchange) is replaced by `{offer}`.
pub(crate) fn loggable(path: &str) -> std::borrow::Cow<'_, str> {
    match [OFFER_PATH, INTERACTION_PATH, EXCHANGE_PATH].into_iter().find(|prefix| path.starts_with(prefix)) {
        Some(prefix) => format!("{prefix}{{offer}}").into(),
        None => path.into(),
    }
}

/// OpenID4VCI's grant type of a pre-authorized code.
const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

#[cfg(test)]
mod tests {
    use super::loggable;

    #[test]
    fn an_offers_secret_never_reaches_a_log_line() {
        assert_eq!(loggable("/openid4vci/offers/s3cr3t"), "/openid4vci/offers/{offer}");
        assert_eq!(loggable("/vc-api/interactions/s3cr3t"), "/vc-api/interactions/{offer}");
        assert_eq!(loggable("/vc-api/exchanges/s3cr3t"), "/vc-api/exchanges/{offer}");
        assert_eq!(loggable("/certificate/issue"), "/certificate/issue");
    }
}
