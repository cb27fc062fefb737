ALTER TABLE certificate_outbox SET (fillfactor = 70);
DROP INDEX certificate_issuance_released;
DROP INDEX certificate_idempotency_key_created_at;
DROP INDEX certificate_outbox_undelivered_certificate;
CREATE INDEX certificate_outbox_undelivered_key ON certificate_outbox (message_key, id)
    WHERE published_at IS NULL AND dead_at IS NULL;
ALTER TABLE certificate_outbox ADD COLUMN leased_until timestamptz NULL;
