-- Undelivered events move to a narrow queue of their own. Publishing an event
-- is then deleting its queue row (the one write per event, and a cheap one:
-- no index entry is added), instead of updating the wide outbox row, which
-- added an entry to each of its indexes. An outbox row is published when it
-- is neither queued nor dead. The relay holds a batch with row locks for the
-- length of its publish, so the lease column goes too.
CREATE TABLE certificate_outbox_pending (
    id              bigint PRIMARY KEY,
    user_id         uuid NOT NULL,
    message_key     text NOT NULL,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NULL
);
-- Order is kept per certificate (learner and course): "is there an older
-- queued event of this certificate" is answered from this index.
CREATE INDEX certificate_outbox_pending_certificate ON certificate_outbox_pending (user_id, message_key, id);

INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at, attempts, last_error)
SELECT id, user_id, message_key, created_at, next_attempt_at, attempts, last_error
  FROM certificate_outbox WHERE published_at IS NULL AND dead_at IS NULL;

DROP INDEX certificate_outbox_undelivered;
DROP INDEX certificate_outbox_undelivered_key;
ALTER TABLE certificate_outbox DROP COLUMN leased_until, DROP COLUMN next_attempt_at, DROP COLUMN published_at;
-- The free space per page was room for the lease's heap-only update; outbox
-- rows are no longer updated when published.
ALTER TABLE certificate_outbox RESET (fillfactor);
CREATE INDEX certificate_outbox_dead ON certificate_outbox (id) WHERE dead_at IS NOT NULL;

-- Retention prunes by age: idempotency keys, and claims given up without a
-- certificate.
CREATE INDEX certificate_idempotency_key_created_at ON certificate_idempotency_key (created_at);
CREATE INDEX certificate_issuance_released ON certificate_issuance (updated_at) WHERE state = 'released';
