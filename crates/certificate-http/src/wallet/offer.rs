//! `POST /certificate/{certificateId}/wallet-offer`: the platform asks for
//! an offer of one certificate to its learner's wallet. The answer holds
//! the offer's bearer secret, once: the platform shows it to the learner
//! (the link, or its QR code) and nowhere else.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use base64::Engine as _;
use certificate_domain::{check_id, Fields, RequestFields};
use chrono::SecondsFormat;
use percent_encoding::utf8_percent_encode;
use qrcode::render::svg;
use qrcode::QrCode;
use serde::Serialize;

use super::{INTERACTION_PATH, OFFER_PATH};
use crate::envelope::Envelope;
use crate::links::PATH_SEGMENT;
use crate::schemas;
use crate::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OfferAnswer {
    certificate_id: String,
    credential_offer: String,
    credential_offer_uri: String,
    qr_code: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_code: Option<String>,
    /// The VC-API interaction (the Learner Credential Wallet's), when no
    /// transaction code is asked: that exchange has no place for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    interaction_url: Option<String>,
}

/// `POST /certificate/{certificateId}/wallet-offer` `{transactionCode?}`.
#[utoipa::path(
    post,
    path = "/certificate/{certificateId}/wallet-offer",
    tag = "wallets",
    operation_id = "wallet_offer",
    params(("certificateId" = String, Path, description = schemas::CERTIFICATE_ID,
            min_length = 1, max_length = 255)),
    request_body(content = schemas::WalletOfferRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "An OpenID4VCI credential offer for the learner's wallet: a bearer secret, to show the learner only", body = schemas::WalletOffered),
        (status = 400, description = "transactionCode is not a boolean, or the id is not printable", body = schemas::Error),
        (status = 404, description = schemas::NO_SUCH_CERTIFICATE, body = schemas::Error),
        (status = 409, description = "The certificate is revoked or suspended, or Sunbird RC signs the certificates (wallet delivery needs the built-in issuer)", body = schemas::Error),
        (status = 413, description = schemas::BODY_TOO_LARGE, body = schemas::Error),
        (status = 415, description = schemas::NOT_JSON, body = schemas::Error),
        (status = 500, description = schemas::DATABASE_REFUSED_CHANGE, body = schemas::Error),
        (status = 503, description = schemas::DATABASE_UNAVAILABLE, body = schemas::Error),
    )
)]
pub(crate) async fn wallet_offer(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RequestFields>,
) -> Result<HttpResponse, ApiError> {
    let mut fields = Fields::new(body.into_inner());
    let with_transaction_code = fields.flag("transactionCode");
    let with_transaction_code = fields.done(with_transaction_code).map_err(ApiError::Validation)?;
    let certificate_id = check_id("certificateId", &path.into_inner()).map_err(ApiError::Validation)?;
    let wallet = state.wallet.as_ref().ok_or(ApiError::NoWalletDelivery)?;
    let offer = wallet.deliver.offer(&certificate_id, with_transaction_code).await?;
    let uri = wallet.endpoint(&format!("{OFFER_PATH}{}", offer.secret));
    let credential_offer =
        format!("openid-credential-offer://?credential_offer_uri={}", utf8_percent_encode(&uri, PATH_SEGMENT));
    let answer = OfferAnswer {
        certificate_id,
        qr_code: qr_data_url(&credential_offer),
        credential_offer,
        credential_offer_uri: uri,
        expires_at: offer.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        interaction_url: offer
            .transaction_code
            .is_none()
            .then(|| wallet.endpoint(&format!("{INTERACTION_PATH}{}?iuv=1", offer.secret))),
        transaction_code: offer.transaction_code,
    };
    Ok(HttpResponse::Created().json(Envelope::of(StatusCode::CREATED, "Wallet offer", answer)))
}

/// The offer as an SVG QR code in a data URL, for the platform to show.
fn qr_data_url(text: &str) -> String {
    let code = QrCode::new(text.as_bytes()).expect("an offer link fits a QR code");
    let svg = code.render::<svg::Color<'_>>().min_dimensions(320, 320).quiet_zone(true).build();
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}
