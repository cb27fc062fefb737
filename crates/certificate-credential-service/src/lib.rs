//! The ureq adapter for the two upstream services: the identity service
//! (`POST {identity}/did/generate`) and the credential service
//! (`POST {credentials}/credentials/issue`), with the request
//! bodies of docs/contract.md to the letter.
//!
//! It promises: every call is bounded by the configured timeouts; ureq's
//! blocking I/O runs on tokio's blocking pool, never on an async worker;
//! transient failures are retried a bounded number of times, and only where a
//! retry cannot issue a second credential.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, cause_from, CredentialIssuer, CredentialRequest, IssuedCredential, Upstream, UpstreamError,
};
use serde_json::{json, Value};
use uuid::Uuid;

/// The upstream variables of docs/contract.md, as envy reads them.
#[derive(serde::Deserialize)]
struct Env {
    rc_identity_api_base_url: Option<String>,
    rc_credentials_api_base_url: Option<String>,
    verification_schema_url: Option<String>,
    verification_schema_name: Option<String>,
    certificate_issuer_did: Option<String>,
    schema_id: Option<String>,
    #[serde(default = "default_connect_timeout_ms")]
    upstream_connect_timeout_ms: u64,
    #[serde(default = "default_timeout_ms")]
    upstream_timeout_ms: u64,
    #[serde(default = "default_retries")]
    upstream_retries: u32,
}

fn default_connect_timeout_ms() -> u64 {
    2_000
}
fn default_timeout_ms() -> u64 {
    5_000
}
fn default_retries() -> u32 {
    2
}

#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub identity_base_url: String,
    pub credentials_base_url: String,
    pub verification_schema_url: String,
    pub verification_schema_name: String,
    pub certificate_issuer_did: String,
    pub schema_id: String,
    pub connect_timeout: Duration,
    /// The whole call, from connect to the last byte of the answer.
    pub timeout: Duration,
    /// Further attempts after a transient failure.
    pub retries: u32,
}

impl UpstreamConfig {
    /// `None` when neither base URL is set (the service then uses its
    /// in-process fake); once one is, every other upstream variable is required.
    pub fn from_env() -> Result<Option<Self>, envy::Error> {
        Self::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Option<Self>, envy::Error> {
        let env: Env = envy::from_iter(vars)?;
        let set = |value: &Option<String>| value.as_ref().is_some_and(|v| !v.is_empty());
        if !set(&env.rc_identity_api_base_url) && !set(&env.rc_credentials_api_base_url) {
            return Ok(None);
        }
        let required = |value: Option<String>, name: &str| match value {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(envy::Error::Custom(format!("{name} is required when an upstream URL is set"))),
        };
        Ok(Some(Self {
            identity_base_url: required(env.rc_identity_api_base_url, "RC_IDENTITY_API_BASE_URL")?,
            credentials_base_url: required(env.rc_credentials_api_base_url, "RC_CREDENTIALS_API_BASE_URL")?,
            verification_schema_url: required(env.verification_schema_url, "VERIFICATION_SCHEMA_URL")?,
            verification_schema_name: required(env.verification_schema_name, "VERIFICATION_SCHEMA_NAME")?,
            certificate_issuer_did: required(env.certificate_issuer_did, "CERTIFICATE_ISSUER_DID")?,
            schema_id: required(env.schema_id, "SCHEMA_ID")?,
            connect_timeout: Duration::from_millis(env.upstream_connect_timeout_ms),
            timeout: Duration::from_millis(env.upstream_timeout_ms),
            retries: env.upstream_retries,
        }))
    }
}

pub struct HttpCredentialIssuer {
    agent: ureq::Agent,
    config: Arc<UpstreamConfig>,
}

impl HttpCredentialIssuer {
    pub fn new(config: UpstreamConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_idle_connections_per_host(256)
            .build()
            .into();
        Self { agent, config: Arc::new(config) }
    }

    /// POSTs `body` and returns the parsed JSON answer, retrying when `retryable` says so.
    async fn post(&self, upstream: Upstream, url: String, body: Value) -> Result<Value, UpstreamError> {
        let mut attempt = 0;
        loop {
            let agent = self.agent.clone();
            let (url_for_call, body_for_call) = (url.clone(), body.clone());
            let result =
                tokio::task::spawn_blocking(move || post_blocking(&agent, upstream, &url_for_call, &body_for_call))
                    .await
                    .unwrap_or_else(|join| Err(UpstreamError::Unreachable { upstream, source: cause(join) }));
            match result {
                Err(error) if attempt < self.config.retries && retryable(&error) => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "retrying the {upstream}");
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                other => return other,
            }
        }
    }
}

/// Failures after which the request certainly did not take effect upstream:
/// nothing was sent, or the service said it was not serving.
fn retryable(error: &UpstreamError) -> bool {
    match error {
        UpstreamError::Unreachable { .. } => true,
        UpstreamError::Rejected { status, .. } => matches!(status, 502..=504),
        UpstreamError::Timeout { .. } | UpstreamError::InvalidResponse { .. } => false,
    }
}

fn post_blocking(agent: &ureq::Agent, upstream: Upstream, url: &str, body: &Value) -> Result<Value, UpstreamError> {
    let mut response = agent.post(url).send_json(body).map_err(|e| transport_error(upstream, e))?;
    let status = response.status().as_u16();
    if status >= 400 {
        return Err(UpstreamError::Rejected { upstream, status });
    }
    response.body_mut().read_json::<Value>().map_err(|error| match error {
        ureq::Error::Timeout(_) => UpstreamError::Timeout { upstream },
        other => UpstreamError::InvalidResponse { upstream, source: cause(other) },
    })
}

fn transport_error(upstream: Upstream, error: ureq::Error) -> UpstreamError {
    match error {
        ureq::Error::Timeout(_) => UpstreamError::Timeout { upstream },
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => UpstreamError::Timeout { upstream },
        other => UpstreamError::Unreachable { upstream, source: cause(other) },
    }
}

fn invalid(upstream: Upstream, reason: &str) -> UpstreamError {
    UpstreamError::InvalidResponse { upstream, source: cause_from(reason) }
}

/// The identity service's request body for one learner.
pub fn did_request_body(user_id: Uuid) -> Value {
    json!({"content": [{
        "alsoKnownAs": [user_id.to_string()],
        "services": [{
            "id": "IdentityHub", "type": "IdentityHub",
            "serviceEndpoint": {
                "@context": "schema.identity.foundation/hub",
                "@type": "UserServiceEndpoint",
                "instance": ["did:test:hub.id"]
            }
        }],
        "method": "upai"
    }]})
}

/// The credential service's request body, filled from the configuration.
pub fn credential_request_body(config: &UpstreamConfig, credential: &CredentialRequest<'_>) -> Value {
    let request = credential.request;
    json!({
        "credential": {
            "@context": ["https://www.w3.org/2018/credentials/v1", config.verification_schema_url],
            "type": ["VerifiableCredential", config.verification_schema_name],
            "issuer": config.certificate_issuer_did,
            "issuanceDate": request.issuance_date,
            "expirationDate": request.expiration_date,
            "credentialSubject": {
                "id": credential.learner_did,
                "type": config.verification_schema_name,
                "firstName": request.first_name,
                "middleName": request.middle_name.as_deref().unwrap_or(""),
                "lastName": request.last_name,
                "userId": request.user_id,
                "courseId": request.course_id,
                "courseName": request.course_name,
                "issuedOn": credential.issued_on,
                "certificateId": "**Id**"
            }
        },
        "credentialSchemaId": config.schema_id,
        "credentialSchemaVersion": "1.0.0",
        "tags": []
    })
}

fn join_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

#[async_trait]
impl CredentialIssuer for HttpCredentialIssuer {
    async fn generate_did(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        let upstream = Upstream::Identity;
        let url = join_url(&self.config.identity_base_url, "/did/generate");
        let answer = self.post(upstream, url, did_request_body(user_id)).await?;
        answer[0]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(upstream, "expected a JSON array whose first element has a string \"id\""))
    }

    async fn issue_credential(&self, credential: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError> {
        let upstream = Upstream::Credential;
        let url = join_url(&self.config.credentials_base_url, "/credentials/issue");
        let body = self.post(upstream, url, credential_request_body(&self.config, &credential)).await?;
        let certificate_id = body["credential"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(upstream, "expected a string at credential.id"))?;
        Ok(IssuedCredential { certificate_id, body })
    }
}
