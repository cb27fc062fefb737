//! Claims and certificates. The hot path is hand-written SQL so that each step
//! of an issuance is one round trip: one statement to claim, one to record.

use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, Acquired, CertificateRepo, Claim, ClaimRequest, ClaimToken, IssuedCertificate, RecordedCertificate,
    RepoError,
};
use certificate_domain::CertificateEvent;
use certificate_domain::{IssuedCredential, RecordedCredential};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::jobs::{ClaimJob, RecordJob};
use crate::sql::{ALREADY_RECORDED, CURRENT_CLAIM, FIND, FIND_CREDENTIAL, RELEASE, REMEMBER_KEY};
use crate::statement::Statement;
use crate::PgStore;

#[derive(QueryableByName)]
struct FoundCredential {
    #[diesel(sql_type = Text)]
    credential: String,
    #[diesel(sql_type = Bool)]
    revoked: bool,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    certificate_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    issued_on: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Text)]
    credential: String,
}

#[derive(QueryableByName)]
struct CurrentClaim {
    #[diesel(sql_type = Bool)]
    issued: bool,
    #[diesel(sql_type = Bool)]
    expired: bool,
    #[diesel(sql_type = Nullable<Text>)]
    credential: Option<String>,
}

#[derive(QueryableByName)]
struct Fingerprint {
    #[diesel(sql_type = Text)]
    fingerprint: String,
}

#[derive(QueryableByName)]
struct OutboxPosition {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// A credential as recorded: the issuer's answer, as it was recorded.
fn recorded(answer: String) -> Result<IssuedCredential, RepoError> {
    IssuedCredential::read(answer).map_err(|e| RepoError::Failed(cause(e)))
}

impl CurrentClaim {
    fn into_claim(self) -> Result<Claim, RepoError> {
        match self.credential {
            Some(credential) if self.issued || self.expired => {
                recorded(credential).map(|credential| Claim::AlreadyIssued(Box::new(credential)))
            }
            _ => Ok(Claim::InFlight),
        }
    }
}

impl PgStore {
    async fn key_matches(&self, key: &str, fingerprint: &str) -> Result<bool, RepoError> {
        let first: Fingerprint = self
            .db
            .with_conn(async |conn| Statement::new(REMEMBER_KEY).text(key).text(fingerprint).get_result(conn).await)
            .await?;
        Ok(first.fingerprint == fingerprint)
    }

    async fn try_record(
        &self,
        token: ClaimToken,
        certificate: &IssuedCertificate<'_>,
        event: &CertificateEvent,
    ) -> Result<i64, RepoError> {
        let credential = certificate.credential;
        let job = RecordJob {
            user_id: certificate.request.user_id(),
            course_id: certificate.request.course_id().to_owned(),
            token: token.0,
            credential: credential.answer().to_owned(),
            certificate_id: credential.certificate_id.clone(),
            issued_on: certificate.request.issued_at(),
            event: event.clone(),
            revoke: certificate.revoke_previous,
        };
        if let Some(position) = self.records().submit(job).await? {
            return Ok(position);
        }
        let recorded: Vec<OutboxPosition> = self
            .db
            .with_conn(async |conn| {
                Statement::new(ALREADY_RECORDED)
                    .uuid(token.0)
                    .text(&credential.certificate_id)
                    .uuid(event.event_id)
                    .load(conn)
                    .await
            })
            .await?;
        recorded.into_iter().next().map(|position| position.id).ok_or(RepoError::ClaimLost)
    }
}

#[async_trait]
impl CertificateRepo for PgStore {
    async fn find(&self, user_id: Uuid, course_id: &str) -> Result<Option<RecordedCertificate>, RepoError> {
        let found: Vec<Found> =
            self.db.with_conn(async |conn| Statement::new(FIND).uuid(user_id).text(course_id).load(conn).await).await?;
        let Some(found) = found.into_iter().next() else {
            return Ok(None);
        };
        let credential = recorded(found.credential)?;
        let Found { certificate_id, status, issued_on, .. } = found;
        Ok(Some(RecordedCertificate { certificate_id, status: status.unwrap_or_default(), issued_on, credential }))
    }

    async fn find_credential(&self, certificate_id: &str) -> Result<Option<RecordedCredential>, RepoError> {
        let found: Vec<FoundCredential> = self
            .db
            .with_conn(async |conn| Statement::new(FIND_CREDENTIAL).text(certificate_id).load(conn).await)
            .await?;
        let Some(FoundCredential { credential, revoked }) = found.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(RecordedCredential { credential: recorded(credential)?, revoked, suspended: false }))
    }

    async fn claim(&self, request: ClaimRequest<'_>) -> Result<Claim, RepoError> {
        if let Some(idempotency) = &request.idempotency_key {
            if !self.key_matches(idempotency.key, &idempotency.fingerprint).await? {
                return Ok(Claim::KeyReused);
            }
        }
        let token = Uuid::new_v4();
        let (user_id, course_id) = (request.user_id, request.course_id);
        let job = ClaimJob {
            user_id,
            course_id: course_id.to_owned(),
            token,
            lease_secs: request.lease.as_secs_f64(),
            reissue: request.reissue,
            issuance_id: request.new_issuance_id,
        };
        if let Some(taken) = self.claims().submit(job).await? {
            let (issuance_id, look_first) = (taken.issuance_id, taken.outcome_unknown);
            return Ok(Claim::Acquired(Acquired { token: ClaimToken(token), issuance_id, look_first }));
        }
        let current: Vec<CurrentClaim> = self
            .db
            .with_conn(async |conn| Statement::new(CURRENT_CLAIM).uuid(user_id).text(course_id).load(conn).await)
            .await?;
        current.into_iter().next().map_or(Ok(Claim::InFlight), CurrentClaim::into_claim)
    }

    async fn release(&self, token: ClaimToken, outcome_unknown: bool) -> Result<(), RepoError> {
        let release =
            async |conn: &mut _| Statement::new(RELEASE).uuid(token.0).boolean(outcome_unknown).execute(conn).await;
        self.db.with_conn(release).await?;
        Ok(())
    }

    /// Retries while the database is unreachable, within the configured
    /// window: the credential already exists upstream and must not be lost.
    async fn record_issued(
        &self,
        token: ClaimToken,
        certificate: IssuedCertificate<'_>,
        event: &CertificateEvent,
    ) -> Result<i64, RepoError> {
        let deadline = tokio::time::Instant::now() + self.config.record_retry_window;
        let mut pause = Duration::from_millis(100);
        loop {
            match self.try_record(token, &certificate, event).await {
                Err(RepoError::Unavailable(reason)) if tokio::time::Instant::now() + pause < deadline => {
                    tracing::warn!(%reason, "database unavailable while recording an issued credential; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }
}
