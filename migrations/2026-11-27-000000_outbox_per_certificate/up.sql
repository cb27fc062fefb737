-- The relay holds a batch with row locks for the length of its publish, so
-- the lease column goes; order is kept per certificate (learner and course),
-- no longer per key, so the "older undelivered event" lookup is keyed so.
ALTER TABLE certificate_outbox DROP COLUMN leased_until;
DROP INDEX certificate_outbox_undelivered_key;
CREATE INDEX certificate_outbox_undelivered_certificate ON certificate_outbox (user_id, message_key, id)
    WHERE published_at IS NULL AND dead_at IS NULL;

-- Retention prunes by age: idempotency keys, and claims given up without a
-- certificate.
CREATE INDEX certificate_idempotency_key_created_at ON certificate_idempotency_key (created_at);
CREATE INDEX certificate_issuance_released ON certificate_issuance (updated_at) WHERE state = 'released';

-- The free space per page was room for the lease's heap-only update; the
-- one remaining write (published_at) changes index predicates and is never
-- heap-only.
ALTER TABLE certificate_outbox RESET (fillfactor);
