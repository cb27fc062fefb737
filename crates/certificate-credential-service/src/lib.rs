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

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, cause_from, issuance_tag, CredentialDesign, CredentialIssuance, CredentialRendering, CredentialRequest,
    CredentialRevocation, CredentialVerification, GeneratedIdentity, IssuedLookup, LearnerIdentity, RevocationError,
    SchemaServiceAnswer, Upstream, UpstreamError, SCHEMA_VERSION, TEMPLATE_KIND,
};
use certificate_domain::{IssuedCredential, RecordedCredential, Verdict};
use serde_json::{json, Value};
use uuid::Uuid;

mod config;
pub mod transport;
mod wire;

use config::retry_pause;
pub use config::UpstreamConfig;
pub use transport::UpstreamClient;
use transport::{retryable, Headers, Method, Transport};
pub use wire::{credential_request_body, did_request_body};
use wire::{first_did, invalid, issued, join_url, path_segment, verdict};

pub struct HttpCredentialIssuer {
    transport: Transport,
    config: Arc<UpstreamConfig>,
}

impl HttpCredentialIssuer {
    pub fn new(config: UpstreamConfig) -> Self {
        Self { transport: Transport::new(&config), config: Arc::new(config) }
    }

    /// `{credentials}/credentials/{id}{suffix}`, the id one path segment
    /// whatever it holds: no id reaches another route of the service.
    fn credential_url(&self, id: &str, suffix: &str) -> String {
        join_url(&self.config.credentials_base_url, &format!("/credentials/{}{suffix}", path_segment(id)))
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

/// `POST {identity}/did/generate`: the first DID of the answer.
#[async_trait]
impl LearnerIdentity for HttpCredentialIssuer {
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        let answer = self.generated(user_id).await?;
        first_did(&serde_json::from_str(&answer).expect("generated() checked it is JSON"))
    }

    async fn generate_did(&self, user_id: Uuid) -> Result<GeneratedIdentity, UpstreamError> {
        Ok(GeneratedIdentity::Answered(self.generated(user_id).await?.into()))
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
    async fn revoke(&self, certificate_id: &str) -> Result<(), RevocationError> {
        let url = self.credential_url(certificate_id, "");
        match self.call(Upstream::Credential, Method::Delete, url, Value::Null).await {
            Err(error) if !error.is_not_found() => Err(error.into()),
            _ => Ok(()),
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
        let url = self.credential_url(certificate_id, "/verify");
        match self.call(Upstream::Credential, Method::Get, url, Value::Null).await {
            Ok(answer) => verdict(&answer).map(Some),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// `GET {credentials}/credentials/{id}` with `templateid` and `Accept:
/// text/html`: Sunbird RC renders the credential through its template.
#[async_trait]
impl CredentialRendering for HttpCredentialIssuer {
    async fn render_html(&self, credential_id: &str, template_id: &str) -> Result<Option<String>, UpstreamError> {
        let url = self.credential_url(credential_id, "");
        let headers = [("templateid", template_id.to_owned()), ("Accept", "text/html".to_owned())];
        match self.call_text(Upstream::Credential, Method::Get, url, Value::Null, &headers).await {
            Ok(html) => Ok(Some(html)),
            Err(error) if error.is_not_found() => Ok(None),
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
