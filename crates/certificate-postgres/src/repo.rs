//! Claims and certificates. The hot path is hand-written SQL so that each step
//! of an issuance is one round trip: one statement to claim, one to record.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, Acquired, CertificateRepo, Claim, ClaimRequest, ClaimToken, IssuedCertificate, RecordedCertificate,
    RecordedCredential, RepoError,
};
use certificate_domain::{CertificateEvent, STATUS_VIEW_CERTIFICATE};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use uuid::Uuid;

use futures_util::future::BoxFuture;

use crate::batch::BatchJob;
use crate::error::DbError;
use crate::statement::Statement;
use crate::PgStore;

/// Takes the claims of a batch (one row per job) where nobody holds them: a
/// new learner and course, a released claim, an abandoned one whose lease ran
/// out (unless it already has a credential and this is no re-issue), or an
/// issued one being re-issued. Taking over an abandoned claim makes the
/// outcome unknown (its holder may have issued); a re-issue after a recorded
/// credential starts a new issuance id, unless an earlier attempt's outcome is
/// still unknown. Rows are locked in key order, as every batch does, so that
/// two batches cannot deadlock.
const CLAIM: &str = r#"
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::float8[], $5::bool[], $6::uuid[])
        AS t(user_id, course_id, token, lease_secs, reissue, issuance_id)
)
INSERT INTO certificate_issuance AS i ("userId", "courseId", claim_token, state, lease_until, issuance_id)
SELECT user_id, course_id, token, 'pending', now() + make_interval(secs => lease_secs), issuance_id
  FROM input ORDER BY user_id, course_id
ON CONFLICT ("userId", "courseId") DO UPDATE
   SET claim_token = EXCLUDED.claim_token, state = 'pending',
       lease_until = EXCLUDED.lease_until, updated_at = now(),
       outcome_unknown = i.outcome_unknown OR i.state = 'pending',
       issuance_id = CASE WHEN i.state = 'issued' AND NOT i.outcome_unknown THEN EXCLUDED.issuance_id
                          ELSE coalesce(i.issuance_id, EXCLUDED.issuance_id) END
 WHERE i.state = 'released'
    OR (i.state = 'pending' AND i.lease_until < now()
        AND (i.credential IS NULL OR (SELECT reissue FROM input WHERE token = EXCLUDED.claim_token)))
    OR (i.state = 'issued' AND (SELECT reissue FROM input WHERE token = EXCLUDED.claim_token))
RETURNING claim_token, issuance_id, outcome_unknown"#;

const CURRENT_CLAIM: &str = r#"
SELECT state = 'issued' AS issued, lease_until < now() AS expired, credential::text AS credential
  FROM certificate_issuance WHERE "userId" = $1 AND "courseId" = $2"#;

/// The key's first request wins; a later one learns which request that was.
const REMEMBER_KEY: &str = r#"
WITH inserted AS (
    INSERT INTO certificate_idempotency_key (key, fingerprint) VALUES ($1, $2)
    ON CONFLICT (key) DO NOTHING RETURNING fingerprint)
SELECT fingerprint FROM inserted
UNION ALL SELECT fingerprint FROM certificate_idempotency_key WHERE key = $1
LIMIT 1"#;

/// A failed re-issue falls back to the certificate issued before it. An
/// unknown outcome ($2) stays unknown until a credential is recorded.
const RELEASE: &str = r#"
UPDATE certificate_issuance
   SET state = CASE WHEN credential IS NULL THEN 'released' ELSE 'issued' END, updated_at = now(),
       outcome_unknown = outcome_unknown OR $2
 WHERE claim_token = $1 AND state = 'pending'"#;

/// Per job of a batch: the claim, the certificate row, the outbox event
/// (queued for delivery, due for the poller at `due_at`) and, with `revoke`,
/// the revocation of the credential it supersedes (kept, for verification), in one statement, and so
/// in one transaction. Nothing is written for a job whose claim is no longer
/// its own. Other columns of an existing certificate row (enrolment,
/// progress) are kept. Answers the outbox position of each job recorded.
const RECORD_ISSUED: &str = r#"
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::uuid[], $6::text[],
                         $7::text[], $8::timestamptz[], $9::timestamptz[], $10::bool[])
        AS t(token, credential, certificate_id, issued_on, event_id, message_key, payload, created_at, due_at, revoke)
), previous AS (
    SELECT i.claim_token, i.certificate_id, i.credential
      FROM certificate_issuance i JOIN input ON i.claim_token = input.token
     WHERE i.state = 'pending'
), claim AS (
    UPDATE certificate_issuance i
       SET state = 'issued', credential = input.credential::json, certificate_id = input.certificate_id,
           updated_at = now(), outcome_unknown = false
      FROM input
     WHERE i.claim_token = input.token AND i.state = 'pending'
 RETURNING i."userId", i."courseId", i.claim_token
), claimed AS (
    SELECT c."userId", c."courseId", input.* FROM claim c JOIN input ON input.token = c.claim_token
), revocation AS (
    INSERT INTO certificate_revocation (certificate_id, credential)
    SELECT p.certificate_id, p.credential FROM previous p JOIN claimed c ON c.token = p.claim_token
     WHERE c.revoke AND p.certificate_id IS NOT NULL AND p.certificate_id <> c.certificate_id
), certificate AS (
    INSERT INTO user_course_certificate ("userId", "courseId", "certificateId", status, "issuedOn")
    SELECT "userId", "courseId", certificate_id, $11, issued_on FROM claimed ORDER BY "userId", "courseId"
    ON CONFLICT ("userId", "courseId") DO UPDATE
       SET "certificateId" = EXCLUDED."certificateId", status = EXCLUDED.status,
           "issuedOn" = EXCLUDED."issuedOn", "updatedOn" = now()
), event AS (
    INSERT INTO certificate_outbox (event_id, message_key, user_id, payload, created_at)
    SELECT event_id, message_key, "userId", payload, created_at FROM claimed
 RETURNING id, event_id, user_id, message_key, created_at
), pending AS (
    INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
    SELECT e.id, e.user_id, e.message_key, e.created_at, c.due_at FROM event e JOIN claimed c USING (event_id)
)
SELECT c.token AS claim_token, e.id FROM event e JOIN claimed c USING (event_id)"#;

/// After a lost answer: did our earlier attempt commit, and where is its event?
const ALREADY_RECORDED: &str = r#"
SELECT o.id
  FROM certificate_issuance i JOIN certificate_outbox o ON o.event_id = $3
 WHERE i.claim_token = $1 AND i.state = 'issued' AND i.certificate_id = $2"#;

/// Only a row with a certificate and the credential it came with.
const FIND: &str = r#"
SELECT c."certificateId" AS certificate_id, c.status, c."issuedOn" AS issued_on, i.credential::text AS credential
  FROM user_course_certificate c
  JOIN certificate_issuance i ON i."userId" = c."userId" AND i."courseId" = c."courseId"
 WHERE c."userId" = $1 AND c."courseId" = $2 AND c."certificateId" IS NOT NULL AND i.credential IS NOT NULL"#;

/// The current credential under a certificate id, or a superseded one.
const FIND_CREDENTIAL: &str = r#"
SELECT credential::text AS credential, false AS revoked
  FROM certificate_issuance WHERE certificate_id = $1 AND credential IS NOT NULL
UNION ALL
SELECT credential::text, true
  FROM certificate_revocation WHERE certificate_id = $1 AND credential IS NOT NULL
LIMIT 1"#;

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
pub(crate) struct Taken {
    #[diesel(sql_type = SqlUuid)]
    claim_token: Uuid,
    #[diesel(sql_type = SqlUuid)]
    issuance_id: Uuid,
    #[diesel(sql_type = Bool)]
    outcome_unknown: bool,
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

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = SqlUuid)]
    claim_token: Uuid,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// One claim of a batch (see `CLAIM`).
pub(crate) struct ClaimJob {
    user_id: Uuid,
    course_id: String,
    token: Uuid,
    lease_secs: f64,
    reissue: bool,
    issuance_id: Uuid,
}

impl BatchJob for ClaimJob {
    type Outcome = Option<Taken>;

    fn row(&self) -> (Uuid, &str) {
        (self.user_id, &self.course_id)
    }

    fn run<'a>(store: &'a PgStore, jobs: &'a [Self]) -> BoxFuture<'a, Result<Vec<Option<Taken>>, DbError>> {
        Box::pin(async move {
            let users = column(jobs, |job| job.user_id);
            let courses = column(jobs, |job| job.course_id.as_str());
            let tokens = column(jobs, |job| job.token);
            let leases = column(jobs, |job| job.lease_secs);
            let reissues = column(jobs, |job| job.reissue);
            let issuance_ids = column(jobs, |job| job.issuance_id);
            let taken: Vec<Taken> = store
                .with_conn(async |conn| {
                    Statement::new(CLAIM)
                        .uuids(&users)
                        .texts(&courses)
                        .uuids(&tokens)
                        .doubles(&leases)
                        .booleans(&reissues)
                        .uuids(&issuance_ids)
                        .load(conn)
                        .await
                })
                .await?;
            Ok(by_token(&tokens, taken, |row| row.claim_token))
        })
    }
}

/// One record of a batch (see `RECORD_ISSUED`).
pub(crate) struct RecordJob {
    user_id: Uuid,
    course_id: String,
    token: Uuid,
    credential: String,
    certificate_id: String,
    issued_on: DateTime<Utc>,
    event: CertificateEvent,
    revoke: bool,
}

impl BatchJob for RecordJob {
    type Outcome = Option<i64>;

    fn row(&self) -> (Uuid, &str) {
        (self.user_id, &self.course_id)
    }

    fn run<'a>(store: &'a PgStore, jobs: &'a [Self]) -> BoxFuture<'a, Result<Vec<Option<i64>>, DbError>> {
        Box::pin(async move {
            let tokens = column(jobs, |job| job.token);
            let credentials = column(jobs, |job| job.credential.as_str());
            let certificate_ids = column(jobs, |job| job.certificate_id.as_str());
            let issued_on = column(jobs, |job| job.issued_on);
            let event_ids = column(jobs, |job| job.event.event_id);
            let keys = column(jobs, |job| job.event.key.as_str());
            let payloads = column(jobs, |job| job.event.payload.as_str());
            let created_at = column(jobs, |job| job.event.created_at);
            let due_at = column(jobs, |job| job.event.due_at);
            let revokes = column(jobs, |job| job.revoke);
            let recorded: Vec<Recorded> = store
                .with_conn(async |conn| {
                    Statement::new(RECORD_ISSUED)
                        .uuids(&tokens)
                        .texts(&credentials)
                        .texts(&certificate_ids)
                        .timestamps(&issued_on)
                        .uuids(&event_ids)
                        .texts(&keys)
                        .texts(&payloads)
                        .timestamps(&created_at)
                        .timestamps(&due_at)
                        .booleans(&revokes)
                        .text(STATUS_VIEW_CERTIFICATE)
                        .load(conn)
                        .await
                })
                .await?;
            let positions = by_token(&tokens, recorded, |row| row.claim_token);
            Ok(positions.into_iter().map(|row| row.map(|row| row.id)).collect())
        })
    }
}

/// One column of a batch's `unnest`: a field of every job, in the jobs' order.
fn column<'a, J, T>(jobs: &'a [J], field: impl Fn(&'a J) -> T) -> Vec<T> {
    jobs.iter().map(field).collect()
}

/// The row returned for each job's claim token, in the jobs' order.
fn by_token<R>(tokens: &[Uuid], rows: Vec<R>, token_of: impl Fn(&R) -> Uuid) -> Vec<Option<R>> {
    let mut rows: HashMap<Uuid, R> = rows.into_iter().map(|row| (token_of(&row), row)).collect();
    tokens.iter().map(|token| rows.remove(token)).collect()
}

impl CurrentClaim {
    fn into_claim(self) -> Result<Claim, RepoError> {
        match self.credential {
            Some(credential) if self.issued || self.expired => serde_json::from_str::<Value>(&credential)
                .map(Claim::AlreadyIssued)
                .map_err(|e| RepoError::Failed(cause(e))),
            _ => Ok(Claim::InFlight),
        }
    }
}

impl PgStore {
    async fn key_matches(&self, key: &str, fingerprint: &str) -> Result<bool, RepoError> {
        let first: Fingerprint = self
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
            credential: credential.body.to_string(),
            certificate_id: credential.certificate_id.clone(),
            issued_on: certificate.request.issued_at(),
            event: event.clone(),
            revoke: certificate.revoke_previous,
        };
        if let Some(position) = self.records().submit(job).await? {
            return Ok(position);
        }
        let recorded: Vec<OutboxPosition> = self
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
            self.with_conn(async |conn| Statement::new(FIND).uuid(user_id).text(course_id).load(conn).await).await?;
        let Some(found) = found.into_iter().next() else {
            return Ok(None);
        };
        let credential = serde_json::from_str(&found.credential).map_err(|e| RepoError::Failed(cause(e)))?;
        let Found { certificate_id, status, issued_on, .. } = found;
        Ok(Some(RecordedCertificate { certificate_id, status: status.unwrap_or_default(), issued_on, credential }))
    }

    async fn find_credential(&self, certificate_id: &str) -> Result<Option<RecordedCredential>, RepoError> {
        let found: Vec<FoundCredential> =
            self.with_conn(async |conn| Statement::new(FIND_CREDENTIAL).text(certificate_id).load(conn).await).await?;
        let Some(FoundCredential { credential, revoked }) = found.into_iter().next() else {
            return Ok(None);
        };
        let body = serde_json::from_str(&credential).map_err(|e| RepoError::Failed(cause(e)))?;
        Ok(Some(RecordedCredential { body, revoked }))
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
            .with_conn(async |conn| Statement::new(CURRENT_CLAIM).uuid(user_id).text(course_id).load(conn).await)
            .await?;
        current.into_iter().next().map_or(Ok(Claim::InFlight), CurrentClaim::into_claim)
    }

    async fn release(&self, token: ClaimToken, outcome_unknown: bool) -> Result<(), RepoError> {
        let release =
            async |conn: &mut _| Statement::new(RELEASE).uuid(token.0).boolean(outcome_unknown).execute(conn).await;
        self.with_conn(release).await?;
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
