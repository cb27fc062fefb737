//! The upstream variables of docs/contract.md (`RC_*`, `UPSTREAM_*`) and
//! the bounds they put on every call.

use std::time::Duration;

use crate::UpstreamClient;

/// The upstream variables of docs/contract.md, as envy reads them.
#[derive(serde::Deserialize)]
struct Env {
    rc_identity_api_base_url: Option<String>,
    rc_credentials_api_base_url: Option<String>,
    rc_credential_schema_api_base_url: Option<String>,
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
    upstream_client: Option<String>,
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
    /// Sunbird RC's credential-schema service (templates and schemas);
    /// optional: issuance does not need it.
    pub schema_base_url: Option<String>,
    pub verification_schema_url: String,
    pub verification_schema_name: String,
    pub certificate_issuer_did: String,
    pub schema_id: String,
    pub connect_timeout: Duration,
    /// The whole call, from connect to the last byte of the answer.
    pub timeout: Duration,
    /// Further attempts after a transient failure.
    pub retries: u32,
    pub client: UpstreamClient,
}

impl UpstreamConfig {
    /// `None` when neither base URL is set (the service then issues with its
    /// built-in issuer); once one is, every other upstream variable is required.
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
            schema_base_url: env.rc_credential_schema_api_base_url.filter(|url| !url.is_empty()),
            verification_schema_url: required(env.verification_schema_url, "VERIFICATION_SCHEMA_URL")?,
            verification_schema_name: required(env.verification_schema_name, "VERIFICATION_SCHEMA_NAME")?,
            certificate_issuer_did: required(env.certificate_issuer_did, "CERTIFICATE_ISSUER_DID")?,
            schema_id: required(env.schema_id, "SCHEMA_ID")?,
            connect_timeout: Duration::from_millis(env.upstream_connect_timeout_ms),
            timeout: Duration::from_millis(env.upstream_timeout_ms),
            retries: env.upstream_retries,
            client: match env.upstream_client.as_deref().unwrap_or("reqwest") {
                "reqwest" => UpstreamClient::Reqwest,
                "ureq" => UpstreamClient::Ureq,
                other => {
                    return Err(envy::Error::Custom(format!("UPSTREAM_CLIENT must be reqwest or ureq, not '{other}'")))
                }
            },
        }))
    }

    /// The longest one credential issue call can take: the attempts that
    /// could not connect (the only ones retried) with their pauses, then a
    /// whole call.
    pub fn longest_issue_call(&self) -> Duration {
        (1..=self.retries).map(|attempt| self.connect_timeout + retry_pause(attempt)).sum::<Duration>() + self.timeout
    }
}

/// The pause before retry `attempt` (1, 2, ...).
pub(crate) fn retry_pause(attempt: u32) -> Duration {
    Duration::from_millis(50 << attempt)
}
