//! Claims and certificates. The hot path is hand-written SQL so that each step
//! of an issuance is one round trip: one statement to claim, one to record.

use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    cause, Acquired, CertificateRepo, Claim, ClaimRequest, ClaimToken, IssuedCertificate, RecordedCertificate,
    RepoError,
};
use certificate_domain::{CertificateEvent, STATUS_VIEW_CERTIFICATE};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use uuid::Uuid;

use crate::statement::Statement;
use crate::PgStore;

/// Takes the claim when nobody holds it: a new learner and course, a released
/// claim, an abandoned one whose lease ran out (unless it already has a
/// credential and this is no re-issue), or an issued one being re-issued.
/// Taking over an abandoned claim makes the outcome unknown (its holder may
/// have issued); a re-issue after a recorded credential starts a new
/// issuance id ($6), unless an earlier attempt's outcome is still unknown.
const CLAIM: &str = r#"
INSERT INTO certificate_issuance AS i ("userId", "courseId", claim_token, state, lease_until, issuance_id)
VALUES ($1, $2, $3, 'pending', now() + make_interval(secs => $4), $6)
ON CONFLICT ("userId", "courseId") DO UPDATE
   SET claim_token = EXCLUDED.claim_token, state = 'pending',
       lease_until = EXCLUDED.lease_until, updated_at = now(),
       outcome_unknown = i.outcome_unknown OR i.state = 'pending',
       issuance_id = CASE WHEN i.state = 'issued' AND NOT i.outcome_unknown THEN EXCLUDED.issuance_id
                          ELSE coalesce(i.issuance_id, EXCLUDED.issuance_id) END
 WHERE i.state = 'released'
    OR (i.state = 'pending' AND i.lease_until < now() AND (i.credential IS NULL OR $5))
    OR (i.state = 'issued' AND $5)
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

/// The claim, the certificate row, the outbox event (queued for delivery,
/// due for the poller at `$10`) and, with `$11`, the revocation of the
/// credential it supersedes, in one statement, and so in one transaction.
/// Nothing is written unless the claim is still ours. Other columns of an
/// existing certificate row (enrolment, progress) are kept.
const RECORD_ISSUED: &str = r#"
WITH previous AS (
    SELECT certificate_id FROM certificate_issuance WHERE claim_token = $1 AND state = 'pending'
), claim AS (
    UPDATE certificate_issuance
       SET state = 'issued', credential = $2::json, certificate_id = $3, updated_at = now(), outcome_unknown = false
     WHERE claim_token = $1 AND state = 'pending'
 RETURNING "userId", "courseId"
), revocation AS (
    INSERT INTO certificate_revocation (certificate_id)
    SELECT p.certificate_id FROM previous p, claim
     WHERE $11 AND p.certificate_id IS NOT NULL AND p.certificate_id <> $3
), certificate AS (
    INSERT INTO user_course_certificate ("userId", "courseId", "certificateId", status, "issuedOn")
    SELECT "userId", "courseId", $3, $4, $5 FROM claim
    ON CONFLICT ("userId", "courseId") DO UPDATE
       SET "certificateId" = EXCLUDED."certificateId", status = EXCLUDED.status,
           "issuedOn" = EXCLUDED."issuedOn", "updatedOn" = now()
), event AS (
    INSERT INTO certificate_outbox (event_id, message_key, user_id, payload, created_at)
    SELECT $6, $7, "userId", $8, $9 FROM claim
 RETURNING id, user_id, message_key, created_at
)
INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
SELECT id, user_id, message_key, created_at, $10 FROM event
RETURNING id"#;

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
struct Taken {
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
        let certificate_id = credential.certificate_id.as_str();
        let body = credential.body.to_string();
        let inserted: Vec<OutboxPosition> = self
            .with_conn(async |conn| {
                Statement::new(RECORD_ISSUED)
                    .uuid(token.0)
                    .text(&body)
                    .text(certificate_id)
                    .text(STATUS_VIEW_CERTIFICATE)
                    .timestamptz(certificate.request.issued_at)
                    .uuid(event.event_id)
                    .text(&event.key)
                    .text(&event.payload)
                    .timestamptz(event.created_at)
                    .timestamptz(event.due_at)
                    .boolean(certificate.revoke_previous)
                    .load(conn)
                    .await
            })
            .await?;
        if let Some(position) = inserted.into_iter().next() {
            return Ok(position.id);
        }
        let recorded: Vec<OutboxPosition> = self
            .with_conn(async |conn| {
                Statement::new(ALREADY_RECORDED)
                    .uuid(token.0)
                    .text(certificate_id)
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

    async fn claim(&self, request: ClaimRequest<'_>) -> Result<Claim, RepoError> {
        if let Some(idempotency) = &request.idempotency_key {
            if !self.key_matches(idempotency.key, &idempotency.fingerprint).await? {
                return Ok(Claim::KeyReused);
            }
        }
        let token = Uuid::new_v4();
        let (user_id, course_id) = (request.user_id, request.course_id);
        let taken: Vec<Taken> = self
            .with_conn(async |conn| {
                Statement::new(CLAIM)
                    .uuid(user_id)
                    .text(course_id)
                    .uuid(token)
                    .double(request.lease.as_secs_f64())
                    .boolean(request.reissue)
                    .uuid(request.new_issuance_id)
                    .load(conn)
                    .await
            })
            .await?;
        if let Some(taken) = taken.into_iter().find(|row| row.claim_token == token) {
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
