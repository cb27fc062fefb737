//! The adapter for the two upstream services: the identity service
//! (`POST {identity}/did/generate`) and the credential service
//! (`POST {credentials}/credentials/issue`, tagged with the issuance id;
//! `GET /credentials?tags=` to find an issuance's credential again;
//! `DELETE /credentials/{id}` to revoke), with the request bodies of
//! docs/contract.md to the letter.
//!
//! It promises: every call is bounded by the configured timeouts; transient
//! failures are retried a bounded number of times, and the credential issue
//! call only where it never reached the service, so that a retry cannot
//! issue a second credential. Two HTTP clients carry the calls
//! (`UPSTREAM_CLIENT`, see [`transport`]): reqwest, async on the caller's
//! runtime (the default), or ureq, blocking, on tokio's blocking pool.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, cause_from, issuance_tag, CredentialDesign, CredentialIssuance, CredentialRendering, CredentialRequest,
    CredentialRevocation, CredentialVerification, IssuedLookup, LearnerIdentity, SchemaServiceAnswer, Upstream,
    UpstreamError, SCHEMA_VERSION, TEMPLATE_KIND,
};
use certificate_domain::{Checks, IssuedCredential, RecordedCredential, Verdict, VerdictStatus};
use serde_json::{json, Value};
use uuid::Uuid;

pub mod transport;

pub use transport::UpstreamClient;
use transport::{retryable, Headers, Method, Transport};

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
fn retry_pause(attempt: u32) -> Duration {
    Duration::from_millis(50 << attempt)
}

pub struct HttpCredentialIssuer {
    transport: Transport,
    config: Arc<UpstreamConfig>,
}

impl HttpCredentialIssuer {
    pub fn new(config: UpstreamConfig) -> Self {
        Self { transport: Transport::new(&config), config: Arc::new(config) }
    }

    /// Sends a call that issues nothing and returns the parsed JSON answer
    /// (`Null` for a DELETE), retrying transient failures.
    async fn call(&self, upstream: Upstream, method: Method, url: String, body: Value) -> Result<Value, UpstreamError> {
        let answer = self.send(upstream, method, url, body, false, &[]).await?;
        if method == Method::Delete {
            return Ok(Value::Null);
        }
        serde_json::from_str(&answer).map_err(|error| UpstreamError::InvalidResponse { upstream, source: cause(error) })
    }

    /// Sends the credential issue call, retried only where it never reached
    /// the service; the answer's text as it came.
    async fn call_issuing(&self, url: String, body: Value) -> Result<String, UpstreamError> {
        self.send(Upstream::Credential, Method::Post, url, body, true, &[]).await
    }

    /// A call whose answer is passed on as its text: a rendering (HTML) or
    /// the credential-schema service's answer (JSON, checked to be JSON).
    async fn call_text(
        &self,
        upstream: Upstream,
        method: Method,
        url: String,
        body: Value,
        headers: &Headers,
    ) -> Result<String, UpstreamError> {
        self.send(upstream, method, url, body, false, headers).await
    }

    async fn send(
        &self,
        upstream: Upstream,
        method: Method,
        url: String,
        body: Value,
        issues: bool,
        headers: &Headers,
    ) -> Result<String, UpstreamError> {
        let mut attempt = 0;
        loop {
            let result = self.transport.send(upstream, method, &url, &body, headers).await;
            match result {
                Err(error) if attempt < self.config.retries && retryable(issues, &error) => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "retrying the {upstream}");
                    tokio::time::sleep(retry_pause(attempt)).await;
                }
                other => return other,
            }
        }
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
            "issuanceDate": request.issuance_date(),
            "expirationDate": request.expiration_date(),
            "credentialSubject": {
                "id": credential.learner_did,
                "type": config.verification_schema_name,
                "firstName": request.first_name(),
                "middleName": request.middle_name().unwrap_or(""),
                "lastName": request.last_name(),
                "userId": request.user_id(),
                "courseId": request.course_id(),
                "courseName": request.course_name(),
                "issuedOn": credential.issued_on,
                "certificateId": "**Id**"
            }
        },
        "credentialSchemaId": config.schema_id,
        "credentialSchemaVersion": "1.0.0",
        "tags": [issuance_tag(credential.issuance_id)]
    })
}

fn join_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// `POST {identity}/did/generate`: the first DID of the answer.
#[async_trait]
impl LearnerIdentity for HttpCredentialIssuer {
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        let answer = self.generated(user_id).await?;
        first_did(&serde_json::from_str(&answer).expect("generated() checked it is JSON"))
    }

    async fn generate_did(&self, user_id: Uuid) -> Result<Arc<str>, UpstreamError> {
        Ok(self.generated(user_id).await?.into())
    }
}

impl HttpCredentialIssuer {
    /// The identity service's answer, checked to name a DID, as its text.
    async fn generated(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        let url = join_url(&self.config.identity_base_url, "/did/generate");
        let answer = self.call_text(Upstream::Identity, Method::Post, url, did_request_body(user_id), &[]).await?;
        let parsed: Value = serde_json::from_str(&answer)
            .map_err(|error| UpstreamError::InvalidResponse { upstream: Upstream::Identity, source: cause(error) })?;
        first_did(&parsed)?;
        Ok(answer)
    }
}

fn first_did(answer: &Value) -> Result<String, UpstreamError> {
    answer[0]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(Upstream::Identity, "expected a JSON array whose first element has a string \"id\""))
}

/// `POST {credentials}/credentials/issue`, tagged with the issuance id.
#[async_trait]
impl CredentialIssuance for HttpCredentialIssuer {
    async fn issue(&self, credential: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError> {
        let url = join_url(&self.config.credentials_base_url, "/credentials/issue");
        let answer = self.call_issuing(url, credential_request_body(&self.config, &credential)).await?;
        issued(answer)
    }
}

/// `GET /credentials?tags=issuance:<id>`: the stored credentials with the
/// tag, newest first; the newest is answered as `issue` would.
#[async_trait]
impl IssuedLookup for HttpCredentialIssuer {
    async fn find_issued(&self, issuance_id: Uuid) -> Result<Option<IssuedCredential>, UpstreamError> {
        let path = format!("/credentials?tags={}&page=1&limit=10", issuance_tag(issuance_id));
        let url = join_url(&self.config.credentials_base_url, &path);
        let found = self.call(Upstream::Credential, Method::Get, url, Value::Null).await?;
        let Some(credentials) = found.as_array() else {
            return Err(invalid(Upstream::Credential, "expected a JSON array of credentials"));
        };
        credentials.first().map(|newest| issued(json!({ "credential": newest }).to_string())).transpose()
    }
}

/// `DELETE /credentials/{id}`; a credential the service does not know
/// (404) has nothing left to revoke.
#[async_trait]
impl CredentialRevocation for HttpCredentialIssuer {
    async fn revoke(&self, certificate_id: &str) -> Result<(), UpstreamError> {
        let url = join_url(&self.config.credentials_base_url, &format!("/credentials/{certificate_id}"));
        match self.call(Upstream::Credential, Method::Delete, url, Value::Null).await {
            Ok(_) | Err(UpstreamError::Rejected { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// `GET /credentials/{id}/verify`; 404 means the service does not know the id.
/// The credential service keeps its own records: what this service recorded is not needed.
#[async_trait]
impl CredentialVerification for HttpCredentialIssuer {
    async fn verify(
        &self,
        certificate_id: &str,
        _recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verdict>, UpstreamError> {
        let path = format!("/credentials/{}/verify", path_segment(certificate_id));
        let url = join_url(&self.config.credentials_base_url, &path);
        match self.call(Upstream::Credential, Method::Get, url, Value::Null).await {
            Ok(answer) => verdict(&answer).map(Some),
            Err(UpstreamError::Rejected { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// `GET {credentials}/credentials/{id}` with `templateid` and `Accept:
/// text/html`: Sunbird RC renders the credential through its template.
#[async_trait]
impl CredentialRendering for HttpCredentialIssuer {
    async fn render_html(&self, credential_id: &str, template_id: &str) -> Result<Option<String>, UpstreamError> {
        let url = join_url(&self.config.credentials_base_url, &format!("/credentials/{}", path_segment(credential_id)));
        let headers = [("templateid", template_id.to_owned()), ("Accept", "text/html".to_owned())];
        match self.call_text(Upstream::Credential, Method::Get, url, Value::Null, &headers).await {
            Ok(html) => Ok(Some(html)),
            Err(UpstreamError::Rejected { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// `POST {schema}/schemas/template` and `POST {schema}/schemas`, the
/// bodies the NestJS service sends; the answers are passed on.
#[async_trait]
impl CredentialDesign for HttpCredentialIssuer {
    async fn add_template(&self, schema_id: &str, template: &str) -> Result<SchemaServiceAnswer, UpstreamError> {
        let body = json!({
            "schemaId": schema_id, "schemaVersion": SCHEMA_VERSION, "template": template, "type": TEMPLATE_KIND,
        });
        self.design_call("/schemas/template", body).await
    }

    async fn add_schema(&self, schema: &str) -> Result<SchemaServiceAnswer, UpstreamError> {
        let body: Value = serde_json::from_str(schema)
            .map_err(|error| UpstreamError::InvalidResponse { upstream: Upstream::Schema, source: cause(error) })?;
        self.design_call("/schemas", body).await
    }
}

impl HttpCredentialIssuer {
    async fn design_call(&self, path: &str, body: Value) -> Result<SchemaServiceAnswer, UpstreamError> {
        let upstream = Upstream::Schema;
        let Some(base) = &self.config.schema_base_url else {
            return Err(UpstreamError::Unreachable {
                upstream,
                source: cause_from("RC_CREDENTIAL_SCHEMA_API_BASE_URL is not set"),
            });
        };
        let answer = self.call_text(upstream, Method::Post, join_url(base, path), body, &[]).await?;
        serde_json::from_str::<&serde_json::value::RawValue>(&answer)
            .map_err(|error| UpstreamError::InvalidResponse { upstream, source: cause(error) })?;
        Ok(answer.into())
    }
}

/// Sunbird RC's verdict, `{"status": "ISSUED", "checks": [{"active": "OK",
/// "revoked": "OK", "expired": "OK", "proof": "OK"}]}`: a check passes when
/// every object of `checks` that names it says `OK`, and fails when one says
/// otherwise or none names it.
fn verdict(answer: &Value) -> Result<Verdict, UpstreamError> {
    let status = answer["status"]
        .as_str()
        .ok_or_else(|| invalid(Upstream::Credential, "expected a JSON object with a string status"))?;
    let checks: &[Value] = answer["checks"].as_array().map_or(&[], Vec::as_slice);
    let passes = |name: &str| {
        let named: Vec<&Value> = checks.iter().filter_map(|check| check.get(name)).collect();
        !named.is_empty() && named.iter().all(|said| *said == "OK")
    };
    let checks = Checks {
        active: passes("active"),
        not_revoked: passes("revoked"),
        not_expired: passes("expired"),
        proof: passes("proof"),
    };
    Ok(Verdict { status: VerdictStatus::from_name(status), checks })
}

/// A caller's id as one path segment: it cannot reach another route of the
/// credential service (`../issue`, `?tags=`).
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The credential service's answer, `{"credential": {"id": ...}}`, as the
/// credential it records, its text kept as it came.
fn issued(answer: String) -> Result<IssuedCredential, UpstreamError> {
    IssuedCredential::read(answer)
        .map_err(|error| UpstreamError::InvalidResponse { upstream: Upstream::Credential, source: cause(error) })
}
