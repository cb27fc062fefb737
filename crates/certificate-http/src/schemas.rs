//! The bodies the API reads and answers, as the document describes them.
//! They only describe: the handlers read the request field by field
//! (certificate_domain::IssueRequest::parse) and build answers from the
//! domain's types, which stay free of utoipa.

use serde::Serialize;
use utoipa::ToSchema;

/// The answers many operations document alike, described once.
pub(crate) const DATABASE_UNAVAILABLE: &str = "The database is unavailable";
pub(crate) const DATABASE_REFUSED_CHANGE: &str = "The database refused the change";
pub(crate) const NOT_JSON: &str = "The body is not declared as application/json";
pub(crate) const BODY_TOO_LARGE: &str = "The body is larger than 64 KiB";
pub(crate) const NO_SUCH_CERTIFICATE: &str = "No certificate is known under this id";
pub(crate) const CERTIFICATE_ID: &str = "The credential's id (the issue answer's data.credential.id)";
pub(crate) const NO_WALLET_DELIVERY: &str = "Sunbird RC signs the certificates: no wallet delivery";
pub(crate) const WALLET_STORE_UNAVAILABLE: &str = "temporarily_unavailable: the database is unavailable";

/// The issue request of docs/contract.md, with every rule the service
/// enforces. Fields it does not know are ignored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = IssueRequest)]
pub(crate) struct IssueRequestBody {
    user_id: uuid::Uuid,
    #[schema(min_length = 1, max_length = 255)]
    course_id: String,
    #[schema(min_length = 1, max_length = 1024)]
    course_name: String,
    #[schema(max_length = 1024)]
    first_name: String,
    #[schema(max_length = 1024)]
    middle_name: Option<String>,
    #[schema(max_length = 1024)]
    last_name: String,
    /// ISO 8601 date-time (a date alone is accepted too); kept as sent. In
    /// UTC between the years 0000 and 9999.
    #[schema(format = DateTime, max_length = 255)]
    issuance_date: String,
    /// ISO 8601 date-time (a date alone is accepted too); kept as sent. In
    /// UTC between the years 0000 and 9999, and not before `issuanceDate`.
    #[schema(format = DateTime, max_length = 255)]
    expiration_date: String,
    /// The text shown on the certificate; "Month YYYY" of today when absent.
    #[schema(max_length = 255)]
    issued_on: Option<String>,
    /// A new credential even when one was issued before (the old one is revoked).
    reissue: Option<bool>,
}

/// The credential service's answer, passed on as it came.
#[derive(Serialize, ToSchema)]
pub(crate) struct IssuedCredential {
    /// The W3C verifiable credential; its `id` is the certificate id.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Issued {
    success: bool,
    status_code: u16,
    message: String,
    data: IssuedCredential,
}

/// A recorded certificate.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertificateRecord {
    user_id: uuid::Uuid,
    course_id: String,
    certificate_id: String,
    /// `viewCertificate` once issued.
    status: String,
    #[schema(format = DateTime)]
    issued_on: Option<String>,
    /// The credential as the issue answer gave it.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
    /// What became of it after its issue: `active`, `suspended` or `revoked`.
    standing: String,
    /// The operator's reason for the standing; none while it is active and never changed.
    standing_reason: Option<String>,
    /// The holder DIDs (did:key, did:jwk) of the copies learners' wallets took, oldest first.
    wallet_holders: Vec<String>,
}

/// `{reason}` of a revocation or a suspension.
#[derive(Serialize, ToSchema)]
pub(crate) struct StandingRequest {
    /// Why: printable, not blank, at most 500 characters. Goes into the record and the event.
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// A certificate's standing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Standing {
    certificate_id: String,
    /// `active`, `suspended` or `revoked`.
    standing: String,
    reason: Option<String>,
    #[schema(format = DateTime)]
    changed_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StandingAnswer {
    success: bool,
    status_code: u16,
    message: String,
    data: Standing,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Certificate {
    success: bool,
    status_code: u16,
    message: String,
    data: CertificateRecord,
}

/// The credential service's verdict, passed on as it came.
#[derive(Serialize, ToSchema)]
pub(crate) struct Verdict {
    /// `ISSUED`, `REVOKED`, ...
    status: String,
    /// One object of checks, each `OK` or `NOK`: `active`, `revoked`, `expired`, `proof`.
    #[schema(value_type = Vec<Object>)]
    checks: Vec<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verified {
    success: bool,
    status_code: u16,
    message: String,
    data: Verdict,
}

/// One rejected field.
#[derive(Serialize, ToSchema)]
pub(crate) struct FieldError {
    /// The field's contract name (`userId`, ...), `body`, or a header's name.
    field: String,
    message: String,
}

/// A failed request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Error {
    /// Always false.
    success: bool,
    status_code: u16,
    /// What went wrong; for a 5xx, in product words ("the database is unavailable").
    message: String,
    /// Every rejected field, on a 400.
    errors: Option<Vec<FieldError>>,
}

/// What to render: the credential, and the template (none: the built-in
/// certificate; with Sunbird RC, its templates render there).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenderRequest {
    /// The credential's id (the issue answer's data.credential.id).
    #[schema(min_length = 1, max_length = 255)]
    credential_id: String,
    /// A template id: a POST /certificate/template answer's `templateId`, or Sunbird RC's.
    #[schema(min_length = 1, max_length = 255)]
    template_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenderedHtml {
    success: bool,
    status_code: u16,
    message: String,
    /// The HTML page; `**Id**` in the template became the credential id.
    data: String,
}

/// A Handlebars template for a schema; it sees the credential's subject
/// fields, `qr` (an image data URL of the verify URL) and more (docs/rendering.md).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateRequest {
    #[schema(min_length = 1, max_length = 255)]
    schema_id: String,
    #[schema(min_length = 1)]
    template: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SchemaRequest {
    /// A credential schema (JSON Schema), kept as sent.
    #[schema(value_type = Object)]
    schema: serde_json::Value,
}

/// A stored template or schema: its id (`templateId`, `id`) and what was stored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Designed {
    success: bool,
    status_code: u16,
    message: String,
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateDidRequest {
    user_id: uuid::Uuid,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GeneratedDid {
    success: bool,
    status_code: u16,
    message: String,
    /// DID documents, each with its `id`.
    #[schema(value_type = Vec<Object>)]
    data: Vec<serde_json::Value>,
}

/// What the platform asks of a wallet offer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WalletOfferRequest {
    /// Ask the wallet for a 6-digit code too, answered here for the
    /// platform to send the learner another way (e-mail, SMS).
    transaction_code: Option<bool>,
}

/// An offer of one certificate to its learner's wallet: a bearer secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WalletOffer {
    certificate_id: String,
    /// `openid-credential-offer://?credential_offer_uri=…`: the link a wallet opens.
    credential_offer: String,
    credential_offer_uri: String,
    /// The link as an SVG QR code (a `data:` URL).
    qr_code: String,
    /// When the pre-authorized code stops working (WALLET_OFFER_TTL_MINUTES).
    #[schema(format = DateTime)]
    expires_at: String,
    /// Only when asked: the code the wallet's holder must type.
    transaction_code: Option<String>,
    /// `…/vc-api/interactions/<offer>?iuv=1`: the same offer for the Learner
    /// Credential Wallet (VC-API); absent when a transaction code is asked.
    interaction_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WalletOffered {
    success: bool,
    status_code: u16,
    message: String,
    data: WalletOffer,
}

/// OAuth 2.0's error answer (RFC 6749 §5.2), as OpenID4VCI's endpoints give it.
#[derive(Serialize, ToSchema)]
pub(crate) struct OauthError {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`,
    /// `invalid_token`, `invalid_credential_request`,
    /// `unknown_credential_configuration`, `invalid_proof`, `invalid_nonce`,
    /// `credential_request_denied`, `temporarily_unavailable`, `server_error`.
    error: String,
    error_description: Option<String>,
}

/// The token request of the pre-authorized code grant.
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenRequest {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    grant_type: String,
    #[serde(rename = "pre-authorized_code")]
    pre_authorized_code: String,
    /// The transaction code, when the offer asks one.
    tx_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TokenAnswer {
    access_token: String,
    /// `Bearer`.
    token_type: String,
    expires_in: u64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NonceAnswer {
    c_nonce: String,
}

/// OpenID4VCI 1.0's credential request (drafts' single `proof` is read too).
#[derive(Serialize, ToSchema)]
pub(crate) struct CredentialRequest {
    credential_configuration_id: String,
    /// `{"jwt": ["<one proof>"]}`: a JWT of type `openid4vci-proof+jwt`
    /// (EdDSA or ES256, `kid` a did:key or did:jwk, or a `jwk`), `aud` this
    /// issuer, `iat` within 5 minutes, `nonce` from the nonce endpoint.
    #[schema(value_type = Object)]
    proofs: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CredentialAnswer {
    /// `[{"credential": <the bound credential>}]`.
    #[schema(value_type = Vec<Object>)]
    credentials: Vec<serde_json::Value>,
}

/// A bulk job accepted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkJobAccepted {
    job_id: uuid::Uuid,
    /// `/certificate/jobs/{jobId}`, as `Location` says too.
    url: String,
    rows: u64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkAccepted {
    success: bool,
    status_code: u16,
    message: String,
    data: BulkJobAccepted,
}

/// One bad field of one row (the first data row is 1).
#[derive(Serialize, ToSchema)]
pub(crate) struct RowFieldError {
    row: Option<u32>,
    field: String,
    message: String,
}

/// A bulk job refused: each bad row's fields, or what is wrong with the body.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkInvalid {
    success: bool,
    status_code: u16,
    message: String,
    errors: Option<Vec<RowFieldError>>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkCounts {
    total: u64,
    pending: u64,
    issued: u64,
    already_issued: u64,
    failed: u64,
    cancelled: u64,
}

/// What became of one row.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkRow {
    row: u32,
    user_id: uuid::Uuid,
    course_id: String,
    /// `pending`, `issued`, `already_issued`, `failed` or `cancelled`.
    outcome: String,
    certificate_id: Option<String>,
    error: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkJobState {
    job_id: uuid::Uuid,
    /// `running` while a row is pending, then `done`.
    state: String,
    counts: BulkCounts,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    elapsed_seconds: f64,
    rows_per_second: f64,
    /// Absent with `rows=false`.
    rows: Option<Vec<BulkRow>>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkJob {
    success: bool,
    status_code: u16,
    message: String,
    data: BulkJobState,
}
