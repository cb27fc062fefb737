-- One id for every attempt of one issuance, sent to the credential service as
-- the tag issuance:<id>; and whether an attempt's outcome is unknown (its
-- answer was lost, or its holder died), so that the next one looks it up
-- before issuing again. Rows from before keep NULL until their next claim.
ALTER TABLE certificate_issuance
    ADD COLUMN issuance_id uuid,
    ADD COLUMN outcome_unknown boolean NOT NULL DEFAULT false;

-- Credentials superseded by a re-issue, to revoke at the credential service;
-- queued in the re-issue's transaction and retried until confirmed.
CREATE TABLE certificate_revocation (
    id              bigserial PRIMARY KEY,
    certificate_id  text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    revoked_at      timestamptz
);

CREATE INDEX certificate_revocation_due ON certificate_revocation (next_attempt_at) WHERE revoked_at IS NULL;
