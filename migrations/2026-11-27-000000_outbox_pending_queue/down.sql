DROP INDEX certificate_issuance_released;
DROP INDEX certificate_idempotency_key_created_at;
DROP INDEX certificate_outbox_dead;
ALTER TABLE certificate_outbox SET (fillfactor = 70);
ALTER TABLE certificate_outbox
    ADD COLUMN leased_until timestamptz NULL,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN published_at timestamptz NULL;
-- What is not queued and not dead was published; when is not known any more.
UPDATE certificate_outbox o SET published_at = o.created_at
 WHERE o.dead_at IS NULL AND NOT EXISTS (SELECT 1 FROM certificate_outbox_pending p WHERE p.id = o.id);
UPDATE certificate_outbox o SET next_attempt_at = p.next_attempt_at, attempts = p.attempts, last_error = p.last_error
  FROM certificate_outbox_pending p WHERE p.id = o.id;
CREATE INDEX certificate_outbox_undelivered ON certificate_outbox (id)
    WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX certificate_outbox_undelivered_key ON certificate_outbox (message_key, id)
    WHERE published_at IS NULL AND dead_at IS NULL;
DROP TABLE certificate_outbox_pending;
