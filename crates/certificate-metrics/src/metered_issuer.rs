//! [`MeteredIssuer`]: the credential roles, counted and timed per upstream
//! service and outcome.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use certificate_domain::ports::{
    CredentialDesign, CredentialIssuance, CredentialRendering, CredentialRequest, CredentialRevocation,
    CredentialVerification, GeneratedIdentity, IssuedLookup, LearnerIdentity, RevocationError, SchemaServiceAnswer,
    Upstream, UpstreamError,
};
use certificate_domain::{IssuedCredential, RecordedCredential, Verdict};
use uuid::Uuid;

use crate::{Metrics, UpstreamLabels, UpstreamOutcomeLabels};

fn upstream_name(upstream: Upstream) -> &'static str {
    match upstream {
        Upstream::Identity => "identity",
        Upstream::Credential => "credential",
        Upstream::Schema => "schema",
    }
}

fn upstream_outcome(error: &UpstreamError) -> &'static str {
    match error {
        UpstreamError::Refused { .. } => "rejected",
        UpstreamError::Unreachable { .. } => "unreachable",
        UpstreamError::AnswerLost { .. } => "answer_lost",
        UpstreamError::Timeout { .. } => "timeout",
        UpstreamError::InvalidResponse { .. } => "invalid_response",
    }
}

/// The built-in issuer's revocation writes to this service's own database:
/// counted as the role's calls are, its store failing as unreachable.
fn revocation_outcome(error: &RevocationError) -> &'static str {
    match error {
        RevocationError::Upstream(error) => upstream_outcome(error),
        RevocationError::Repo(_) | RevocationError::Standings(_) => "unreachable",
    }
}

/// Counts and times every call of the wrapped credential role (`T` is one
/// of `dyn LearnerIdentity`, `dyn CredentialIssuance`, `dyn IssuedLookup`,
/// `dyn CredentialRevocation`, `dyn CredentialVerification`): the identity
/// role as calls of the identity service, the others of the credential service.
pub struct MeteredIssuer<T: ?Sized> {
    inner: Arc<T>,
    metrics: Arc<Metrics>,
}

impl<T: ?Sized> MeteredIssuer<T> {
    pub fn new(inner: Arc<T>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    /// Runs the call, then counts it by outcome and times it.
    async fn observed<R>(
        &self,
        upstream: Upstream,
        call: impl std::future::Future<Output = Result<R, UpstreamError>>,
    ) -> Result<R, UpstreamError> {
        self.observed_by(upstream, call, upstream_outcome).await
    }

    /// [`Self::observed`], for a call whose error is not only an upstream's.
    async fn observed_by<R, E>(
        &self,
        upstream: Upstream,
        call: impl std::future::Future<Output = Result<R, E>>,
        outcome: fn(&E) -> &'static str,
    ) -> Result<R, E> {
        let started = Instant::now();
        let result = call.await;
        let upstream = upstream_name(upstream);
        let outcome = result.as_ref().map_or_else(outcome, |_| "ok");
        self.metrics.upstream_calls.get_or_create(&UpstreamOutcomeLabels { upstream, outcome }).inc();
        self.metrics
            .upstream_duration
            .get_or_create(&UpstreamLabels { upstream })
            .observe(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait]
impl<T: LearnerIdentity + ?Sized> LearnerIdentity for MeteredIssuer<T> {
    async fn learner_did(&self, user_id: Uuid) -> Result<String, UpstreamError> {
        self.observed(Upstream::Identity, self.inner.learner_did(user_id)).await
    }

    async fn generate_did(&self, user_id: Uuid) -> Result<GeneratedIdentity, UpstreamError> {
        self.observed(Upstream::Identity, self.inner.generate_did(user_id)).await
    }
}

#[async_trait]
impl<T: CredentialRendering + ?Sized> CredentialRendering for MeteredIssuer<T> {
    async fn render_html(&self, credential_id: &str, template_id: &str) -> Result<Option<String>, UpstreamError> {
        self.observed(Upstream::Credential, self.inner.render_html(credential_id, template_id)).await
    }
}

#[async_trait]
impl<T: CredentialDesign + ?Sized> CredentialDesign for MeteredIssuer<T> {
    async fn add_template(&self, schema_id: &str, template: &str) -> Result<SchemaServiceAnswer, UpstreamError> {
        self.observed(Upstream::Schema, self.inner.add_template(schema_id, template)).await
    }

    async fn add_schema(&self, schema: &str) -> Result<SchemaServiceAnswer, UpstreamError> {
        self.observed(Upstream::Schema, self.inner.add_schema(schema)).await
    }
}

#[async_trait]
impl<T: CredentialIssuance + ?Sized> CredentialIssuance for MeteredIssuer<T> {
    async fn issue(&self, request: CredentialRequest<'_>) -> Result<IssuedCredential, UpstreamError> {
        self.observed(Upstream::Credential, self.inner.issue(request)).await
    }
}

#[async_trait]
impl<T: IssuedLookup + ?Sized> IssuedLookup for MeteredIssuer<T> {
    async fn find_issued(&self, issuance_id: Uuid) -> Result<Option<IssuedCredential>, UpstreamError> {
        self.observed(Upstream::Credential, self.inner.find_issued(issuance_id)).await
    }
}

#[async_trait]
impl<T: CredentialRevocation + ?Sized> CredentialRevocation for MeteredIssuer<T> {
    async fn revoke(&self, certificate_id: &str) -> Result<(), RevocationError> {
        self.observed_by(Upstream::Credential, self.inner.revoke(certificate_id), revocation_outcome).await
    }
}

#[async_trait]
impl<T: CredentialVerification + ?Sized> CredentialVerification for MeteredIssuer<T> {
    async fn verify(
        &self,
        certificate_id: &str,
        recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verdict>, UpstreamError> {
        self.observed(Upstream::Credential, self.inner.verify(certificate_id, recorded)).await
    }
}
