//! Every SQL text of the adapter, in one place: the hot path's two
//! statements (claim, record) and the reads of an issuance; the outbox's;
//! the operator's commands; the revocation queue's. The modules that run
//! them bind their parameters (`Statement`) and read their rows.

// Claims and certificates (repo.rs, jobs.rs).

/// Takes the claims of a batch (one row per job) where nobody holds them: a
/// new learner and course, a released claim, an abandoned one whose lease ran
/// out (unless it already has a credential and this is no re-issue), or an
/// issued one being re-issued. Taking over an abandoned claim makes the
/// outcome unknown (its holder may have issued); a re-issue after a recorded
/// credential starts a new issuance id, unless an earlier attempt's outcome is
/// still unknown. Rows are locked in key order, as every batch does, so that
/// two batches cannot deadlock.
pub(crate) const CLAIM: &str = r#"
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

pub(crate) const CURRENT_CLAIM: &str = r#"
SELECT state = 'issued' AS issued, lease_until < now() AS expired, credential::text AS credential
  FROM certificate_issuance WHERE "userId" = $1 AND "courseId" = $2"#;

/// The key's first request wins; a later one learns which request that was.
pub(crate) const REMEMBER_KEY: &str = r#"
WITH inserted AS (
    INSERT INTO certificate_idempotency_key (key, fingerprint) VALUES ($1, $2)
    ON CONFLICT (key) DO NOTHING RETURNING fingerprint)
SELECT fingerprint FROM inserted
UNION ALL SELECT fingerprint FROM certificate_idempotency_key WHERE key = $1
LIMIT 1"#;

/// A failed re-issue falls back to the certificate issued before it. An
/// unknown outcome ($2) stays unknown until a credential is recorded.
pub(crate) const RELEASE: &str = r#"
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
pub(crate) const RECORD_ISSUED: &str = r#"
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
pub(crate) const ALREADY_RECORDED: &str = r#"
SELECT o.id
  FROM certificate_issuance i JOIN certificate_outbox o ON o.event_id = $3
 WHERE i.claim_token = $1 AND i.state = 'issued' AND i.certificate_id = $2"#;

/// Only a row with a certificate and the credential it came with.
pub(crate) const FIND: &str = r#"
SELECT c."certificateId" AS certificate_id, c.status, c."issuedOn" AS issued_on, i.credential::text AS credential
  FROM user_course_certificate c
  JOIN certificate_issuance i ON i."userId" = c."userId" AND i."courseId" = c."courseId"
 WHERE c."userId" = $1 AND c."courseId" = $2 AND c."certificateId" IS NOT NULL AND i.credential IS NOT NULL"#;

/// The current credential under a certificate id, or a superseded one.
pub(crate) const FIND_CREDENTIAL: &str = r#"
SELECT credential::text AS credential, false AS revoked
  FROM certificate_issuance WHERE certificate_id = $1 AND credential IS NOT NULL
UNION ALL
SELECT credential::text, true
  FROM certificate_revocation WHERE certificate_id = $1 AND credential IS NOT NULL
LIMIT 1"#;

// The outbox, as the relay sees it (outbox.rs).

pub(crate) const HOLD_DUE: &str = r#"
SELECT p.id, o.event_id, p.user_id, p.message_key, o.payload, p.attempts, p.created_at
  FROM certificate_outbox_pending p JOIN certificate_outbox o ON o.id = p.id
 WHERE p.next_attempt_at <= now()
   AND p.id = (
       SELECT min(older.id) FROM certificate_outbox_pending older
        WHERE older.user_id = p.user_id AND older.message_key = p.message_key)
 ORDER BY p.id
 LIMIT $1
   FOR UPDATE OF p SKIP LOCKED"#;

/// The handed-over events that nobody published or holds meanwhile.
pub(crate) const HOLD_HANDED: &str = r#"
SELECT p.id
  FROM certificate_outbox_pending p
 WHERE p.id = ANY($1)
   AND p.id = (
       SELECT min(older.id) FROM certificate_outbox_pending older
        WHERE older.user_id = p.user_id AND older.message_key = p.message_key)
   FOR UPDATE SKIP LOCKED"#;

pub(crate) const MARK_PUBLISHED: &str = r#"
DELETE FROM certificate_outbox_pending WHERE id = ANY($1)"#;

/// A failure with a retry time stays queued until then; one without goes to
/// dead-letter: out of the queue, marked dead on the outbox row.
pub(crate) const MARK_FAILED: &str = r#"
WITH failure AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS f(id, error, retry_at)
), retried AS (
    UPDATE certificate_outbox_pending p
       SET attempts = p.attempts + 1, last_error = failure.error, next_attempt_at = failure.retry_at
      FROM failure WHERE p.id = failure.id AND failure.retry_at IS NOT NULL
), dead AS (
    DELETE FROM certificate_outbox_pending p
     USING failure WHERE p.id = failure.id AND failure.retry_at IS NULL
 RETURNING p.id, p.attempts + 1 AS attempts, failure.error
)
UPDATE certificate_outbox o
   SET dead_at = now(), attempts = dead.attempts, last_error = dead.error
  FROM dead WHERE o.id = dead.id"#;

/// Opens a delivery batch. A backlog that appears at once (events piled up
/// during a broker outage, or restored) leaves the queue's statistics wrong by
/// orders of magnitude until the next ANALYZE, and the planner then filters
/// every queued row before sorting (seen: 1.7 s per batch on a fresh
/// 300,000-event backlog). Whatever the statistics, the right plan walks the
/// queue's primary key in order and stops after one batch, so this
/// transaction's planner is told not to scan or sort.
///
/// Its commit does not wait for the WAL to reach the disk: what a database
/// crash can lose of it is a dequeue (the event goes out again, with the same
/// `eventId`, which at-least-once delivery allows) or a retry time (it comes
/// sooner); the commit wait was a tenth of each batch's time.
pub(crate) const BEGIN_BATCH: &str =
    "BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL synchronous_commit = off";

// The operator's commands and the retention (admin.rs).

pub(crate) const STATUS: &str = r#"
SELECT (SELECT count(*) FROM certificate_outbox_pending) AS pending,
       (SELECT count(*) FROM certificate_outbox WHERE dead_at IS NOT NULL) AS dead,
       (SELECT min(created_at) FROM certificate_outbox_pending) AS oldest_pending,
       (SELECT count(*) FROM certificate_revocation WHERE revoked_at IS NULL) AS revocations_pending"#;

pub(crate) const RETRY_DEAD: &str = r#"
WITH revived AS (
    UPDATE certificate_outbox SET dead_at = NULL, attempts = 0, last_error = NULL
     WHERE dead_at IS NOT NULL
 RETURNING id, user_id, message_key, created_at
)
INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
SELECT id, user_id, message_key, now(), now() FROM revived"#;

/// The published events of the window: neither queued nor dead. The outbox
/// rows are share-locked so that a prune running at the same time cannot
/// delete a row this queues again.
pub(crate) const REPLAY: &str = r#"
INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
SELECT o.id, o.user_id, o.message_key, now(), now()
  FROM certificate_outbox o
 WHERE o.created_at >= $1 AND o.created_at < $2 AND o.dead_at IS NULL
 ORDER BY o.id
   FOR KEY SHARE OF o
ON CONFLICT (id) DO NOTHING"#;

/// Published events only: queued and dead ones are never pruned.
pub(crate) const PRUNE_EVENTS: &str = r#"
DELETE FROM certificate_outbox WHERE id IN (
    SELECT o.id FROM certificate_outbox o
     WHERE o.created_at < $1 AND o.dead_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM certificate_outbox_pending p WHERE p.id = o.id)
     LIMIT $2 FOR UPDATE SKIP LOCKED)"#;

/// Claims given up without a certificate. Issued claims stay: they hold the
/// answer a repeat gets, one row per certificate, like the certificate table.
pub(crate) const PRUNE_CLAIMS: &str = r#"
DELETE FROM certificate_issuance WHERE ("userId", "courseId") IN (
    SELECT "userId", "courseId" FROM certificate_issuance
     WHERE state = 'released' AND updated_at < $1
     LIMIT $2 FOR UPDATE SKIP LOCKED)"#;

pub(crate) const PRUNE_KEYS: &str = r#"
DELETE FROM certificate_idempotency_key WHERE key IN (
    SELECT key FROM certificate_idempotency_key WHERE created_at < $1
     LIMIT $2 FOR UPDATE SKIP LOCKED)"#;

// The revocation queue (revocation.rs).

pub(crate) const TAKE_DUE: &str = r#"
UPDATE certificate_revocation SET next_attempt_at = now() + make_interval(secs => $2)
 WHERE id IN (SELECT id FROM certificate_revocation
               WHERE revoked_at IS NULL AND next_attempt_at <= now()
               ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, certificate_id, attempts"#;

pub(crate) const REVOKED: &str =
    "UPDATE certificate_revocation SET revoked_at = now(), last_error = NULL WHERE id = $1";

pub(crate) const FAILED: &str = r#"
UPDATE certificate_revocation SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1"#;

/// The template store (templates.rs).
pub(crate) const INSERT_TEMPLATE: &str = "INSERT INTO certificate_template \
     (template_id, schema_id, schema_version, template, template_type, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const SELECT_TEMPLATE: &str = "SELECT template_id, schema_id, schema_version, template, template_type, \
     created_at FROM certificate_template WHERE template_id = $1";
pub(crate) const INSERT_SCHEMA: &str =
    "INSERT INTO certificate_schema (schema_id, schema, created_at) VALUES ($1, $2, $3)";

/// Up to `$1` sequence numbers of the newest list with some left. Locked, so
/// that concurrent reservations follow each other (one that waited reads the
/// list as the first left it, and finds it full if it is).
pub(crate) const RESERVE_STATUS_ENTRIES: &str = "WITH newest AS (SELECT list, reserved AS first, \
     least(size - reserved, $1) AS count FROM status_list WHERE reserved < size ORDER BY list DESC LIMIT 1 \
     FOR UPDATE) \
     UPDATE status_list SET reserved = newest.first + newest.count FROM newest WHERE status_list.list = newest.list \
     RETURNING status_list.list::bigint AS list, status_list.permutation_key, newest.first::bigint AS first, \
     newest.count::bigint AS count";
/// A list after the newest, its first `$3` sequence numbers reserved; no row
/// when another replica made that list first.
pub(crate) const CREATE_STATUS_LIST: &str = "INSERT INTO status_list (list, permutation_key, size, reserved) \
     SELECT coalesce(max(list), 0) + 1, $1, $2, $3 FROM status_list ON CONFLICT (list) DO NOTHING \
     RETURNING list::bigint AS list, permutation_key, 0::bigint AS first, reserved::bigint AS count";
pub(crate) const SELECT_STATUS_LIST_VERSION: &str = "SELECT version FROM status_list WHERE list = $1";
/// One row per set bit, or one with a null index when none is set.
pub(crate) const SELECT_STATUS_BITS: &str = "SELECT l.version, l.changed_at, b.index FROM status_list l \
     LEFT JOIN status_list_bit b ON b.list = l.list AND b.purpose = $2 WHERE l.list = $1";

// Standings (standings.rs).

pub(crate) const SELECT_STANDING: &str =
    "SELECT standing, reason, changed_at FROM certificate_standing WHERE certificate_id = $1";
/// A change of standing, if the certificate is still at `$2`, with all that
/// goes with it: the bits of its entry (`$6` list, `$7` index; list 0: no
/// entry), set for the purposes `$8` and cleared for `$9`, its list's
/// version, the revocation to send Sunbird RC (`$10`) and the event.
/// Answers how many changes were made: one, or none. Two changes racing from
/// `active`: the second's insert waits on the first's, then finds the
/// standing moved and writes nothing.
pub(crate) const CHANGE_STANDING: &str = r#"
WITH current AS (
    SELECT coalesce((SELECT standing FROM certificate_standing WHERE certificate_id = $1 FOR UPDATE), 'active')
           AS standing
), changed AS (
    INSERT INTO certificate_standing (certificate_id, standing, reason, changed_at)
    SELECT $1, $3, $4, $5 FROM current WHERE current.standing = $2
    ON CONFLICT (certificate_id) DO UPDATE
       SET standing = EXCLUDED.standing, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at
     WHERE certificate_standing.standing = $2
 RETURNING certificate_id
), set_bits AS (
    INSERT INTO status_list_bit (list, purpose, index)
    SELECT $6, purpose, $7 FROM changed, unnest($8::text[]) AS purpose WHERE $6 > 0
    ON CONFLICT DO NOTHING
), cleared_bits AS (
    DELETE FROM status_list_bit b USING changed WHERE b.list = $6 AND b.index = $7 AND b.purpose = ANY($9::text[])
), list_version AS (
    UPDATE status_list SET version = version + 1, changed_at = $5 FROM changed WHERE status_list.list = $6
), revocation AS (
    INSERT INTO certificate_revocation (certificate_id) SELECT certificate_id FROM changed WHERE $10
), event AS (
    INSERT INTO certificate_outbox (event_id, message_key, user_id, payload, created_at)
    SELECT $11, $12, $13, $14, $5 FROM changed
 RETURNING id, user_id, message_key, created_at
), pending AS (
    INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
    SELECT id, user_id, message_key, created_at, $15 FROM event
)
SELECT count(*) AS changes FROM changed"#;
/// A superseded credential's revocation bit, and its list's version when it changed.
pub(crate) const REVOKE_ENTRY: &str = r#"
WITH bit AS (
    INSERT INTO status_list_bit (list, purpose, index) VALUES ($1, 'revocation', $2) ON CONFLICT DO NOTHING
 RETURNING list
)
UPDATE status_list SET version = version + 1, changed_at = now() FROM bit WHERE status_list.list = bit.list"#;

// Upkeep (statistics.rs).

/// Which of the tables `$1` changed, since their last ANALYZE, at least as
/// many rows as they had then, and at least `$2` (never analyzed: since
/// their creation); only those this role may analyze (it owns them).
pub(crate) const STALE_TABLES: &str = r#"
SELECT s.relname::text AS name
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
 WHERE s.schemaname = current_schema() AND s.relname = ANY($1)
   AND s.n_mod_since_analyze >= greatest($2, c.reltuples)
   AND pg_has_role(c.relowner, 'USAGE')"#;

// Wallet delivery (wallet.rs). Digests are the hex of a secret's SHA-256.

pub(crate) const ADD_WALLET_OFFER: &str = r#"
INSERT INTO wallet_offer (id, secret_digest, certificate_id, transaction_code_digest, expires_at, attempts_left)
VALUES ($1, $2, $3, nullif($4, ''), $5, $6::smallint)"#;
pub(crate) const SELECT_WALLET_OFFER: &str = r#"
SELECT id, certificate_id, coalesce(transaction_code_digest, '') AS transaction_code_digest, expires_at,
       attempts_left::bigint AS attempts_left, redeemed
  FROM wallet_offer WHERE secret_digest = $1"#;
pub(crate) const WRONG_TRANSACTION_CODE: &str = r#"
UPDATE wallet_offer SET attempts_left = greatest(attempts_left - 1, 0) WHERE id = $1
RETURNING attempts_left::bigint AS attempts_left"#;
/// Redeems the offer if it is still open at `$2`, and records its grant.
pub(crate) const REDEEM_WALLET_OFFER: &str = r#"
WITH redeemed AS (
    UPDATE wallet_offer SET redeemed = true
     WHERE id = $1 AND NOT redeemed AND attempts_left > 0 AND expires_at > $2
 RETURNING id, certificate_id
)
INSERT INTO wallet_grant (token_digest, offer_id, certificate_id, expires_at)
SELECT $3, id, certificate_id, $4 FROM redeemed
RETURNING offer_id"#;
pub(crate) const SELECT_WALLET_GRANT: &str = r#"
SELECT offer_id, certificate_id, expires_at FROM wallet_grant WHERE token_digest = $1 AND expires_at > $2"#;
pub(crate) const ADD_WALLET_NONCE: &str = "INSERT INTO wallet_nonce (digest, expires_at) VALUES ($1, $2)";
pub(crate) const USE_WALLET_NONCE: &str =
    "DELETE FROM wallet_nonce WHERE digest = $1 RETURNING expires_at > $2 AS fresh";
/// The copy and its claim event (outbox), unless the offer gave the holder one already.
pub(crate) const RECORD_WALLET_COPY: &str = r#"
WITH copy AS (
    INSERT INTO wallet_copy (id, certificate_id, offer_id, holder, credential, claimed_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (offer_id, holder) DO NOTHING
 RETURNING id
), event AS (
    INSERT INTO certificate_outbox (event_id, message_key, user_id, payload, created_at)
    SELECT $7, $8, $9, $10, $11 FROM copy
 RETURNING id, user_id, message_key, created_at
), pending AS (
    INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
    SELECT id, user_id, message_key, created_at, $12 FROM event
)
SELECT count(*) AS inserted FROM copy"#;
pub(crate) const SELECT_WALLET_COPY: &str = r#"
SELECT id, certificate_id, offer_id, holder, credential, claimed_at FROM wallet_copy WHERE offer_id = $1 AND holder = $2"#;
pub(crate) const SELECT_WALLET_HOLDERS: &str = "SELECT holder FROM wallet_copy WHERE certificate_id = $1 ORDER BY seq";
pub(crate) const REMOVE_EXPIRED_WALLET_ROWS: &str = r#"
WITH offers AS (DELETE FROM wallet_offer WHERE expires_at < $1 RETURNING 1),
     grants AS (DELETE FROM wallet_grant WHERE expires_at < $1 RETURNING 1),
     nonces AS (DELETE FROM wallet_nonce WHERE expires_at < $1 RETURNING 1)
SELECT (SELECT count(*) FROM offers) + (SELECT count(*) FROM grants) + (SELECT count(*) FROM nonces) AS removed"#;

// Bulk jobs (bulk.rs).

/// The job and all its rows, pending, in one statement.
pub(crate) const CREATE_BULK_JOB: &str = r#"
WITH job AS (INSERT INTO bulk_job (id, created_at) VALUES ($1, $2))
INSERT INTO bulk_row (job_id, number, user_id, course_id, request, due_at)
SELECT $1, number, user_id, course_id, request, $2
  FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::text[]) AS t(number, user_id, course_id, request)"#;
pub(crate) const BULK_JOB_SUMMARY: &str = r#"
SELECT j.created_at,
       count(r.number) FILTER (WHERE r.state = 'pending') AS pending,
       count(r.number) FILTER (WHERE r.state = 'issued') AS issued,
       count(r.number) FILTER (WHERE r.state = 'already_issued') AS already_issued,
       count(r.number) FILTER (WHERE r.state = 'failed') AS failed,
       count(r.number) FILTER (WHERE r.state = 'cancelled') AS cancelled,
       max(r.done_at) AS last_done
  FROM bulk_job j LEFT JOIN bulk_row r ON r.job_id = j.id
 WHERE j.id = $1
 GROUP BY j.created_at"#;
pub(crate) const BULK_JOB_ROWS: &str = r#"
SELECT number::bigint AS number, user_id, course_id, state, coalesce(certificate_id, '') AS certificate_id,
       coalesce(error, '') AS error
  FROM bulk_row WHERE job_id = $1 ORDER BY number"#;
/// Pending rows due at `$1` that no lease holds, oldest jobs first, each
/// leased until `$2`.
pub(crate) const TAKE_BULK_ROWS: &str = r#"
UPDATE bulk_row r SET leased_until = $2, attempts = r.attempts + 1
  FROM (SELECT job_id, number FROM bulk_row
         WHERE state = 'pending' AND due_at <= $1 AND (leased_until IS NULL OR leased_until < $1)
         ORDER BY due_at, job_id, number
         LIMIT $3
           FOR UPDATE SKIP LOCKED) free
 WHERE r.job_id = free.job_id AND r.number = free.number
RETURNING r.job_id, r.number::bigint AS number, r.request, r.attempts::bigint AS attempts"#;
/// Rows' outcomes in one statement (arrays of job, number, state,
/// certificate id and error, '' for none), done at `$6`; a row done before
/// keeps its outcome, but a cancelled one takes a certificate that came of
/// it (the row was being issued when its job was cancelled).
pub(crate) const FINISH_BULK_ROWS: &str = r#"
UPDATE bulk_row r SET state = f.state, certificate_id = nullif(f.certificate_id, ''), error = nullif(f.error, ''),
                      leased_until = NULL, done_at = $6
  FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[])
       AS f(job_id, number, state, certificate_id, error)
 WHERE r.job_id = f.job_id AND r.number = f.number
   AND (r.state = 'pending' OR (r.state = 'cancelled' AND f.state IN ('issued', 'already_issued')))"#;
/// The job's pending rows cancelled, done at `$2`; one row (the job's id)
/// answers whether the job exists, with how many rows it cancelled.
pub(crate) const CANCEL_BULK_JOB: &str = r#"
WITH cancelled AS (
    UPDATE bulk_row SET state = 'cancelled', leased_until = NULL, done_at = $2
     WHERE job_id = $1 AND state = 'pending'
    RETURNING 1)
SELECT (SELECT count(*) FROM cancelled) AS cancelled FROM bulk_job WHERE id = $1"#;
/// Jobs whose every row was done before `$1`, with their rows (the
/// statement's count is the jobs').
pub(crate) const REMOVE_FINISHED_BULK_JOBS: &str = r#"
WITH gone AS (
    SELECT j.id FROM bulk_job j
     WHERE j.created_at < $1
       AND NOT EXISTS (SELECT 1 FROM bulk_row r
                        WHERE r.job_id = j.id AND (r.state = 'pending' OR r.done_at >= $1))),
rows AS (DELETE FROM bulk_row r USING gone WHERE r.job_id = gone.id)
DELETE FROM bulk_job j USING gone WHERE j.id = gone.id"#;
pub(crate) const RETRY_BULK_ROW: &str = r#"
UPDATE bulk_row SET leased_until = NULL, due_at = $3 WHERE job_id = $1 AND number = $2 AND state = 'pending'"#;
