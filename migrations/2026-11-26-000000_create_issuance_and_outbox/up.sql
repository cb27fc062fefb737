-- One claim per learner and course: who is issuing it now (pending, with a
-- lease), or the credential service's answer once issued.
CREATE TABLE certificate_issuance (
    "userId"       uuid NOT NULL,
    "courseId"     text NOT NULL,
    claim_token    uuid NOT NULL,
    state          text NOT NULL CHECK (state IN ('pending', 'released', 'issued')),
    lease_until    timestamptz NOT NULL,
    credential     json NULL,
    certificate_id text NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY ("userId", "courseId")
);
CREATE UNIQUE INDEX certificate_issuance_claim_token ON certificate_issuance (claim_token);

-- Idempotency-Key → the request it was first used with.
CREATE TABLE certificate_idempotency_key (
    key         text PRIMARY KEY,
    fingerprint text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The transactional outbox: written with the certificate, drained by the relay.
CREATE TABLE certificate_outbox (
    id              bigserial PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE,
    message_key     text NOT NULL,
    user_id         uuid NOT NULL,
    payload         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz NULL,
    published_at    timestamptz NULL,
    dead_at         timestamptz NULL,
    last_error      text NULL
);
-- The relay's two questions: what is due, and is there an older undelivered
-- event of the same key. Both only over undelivered rows.
CREATE INDEX certificate_outbox_undelivered ON certificate_outbox (id)
    WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX certificate_outbox_undelivered_key ON certificate_outbox (message_key, id)
    WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX certificate_outbox_created_at ON certificate_outbox (created_at);
