DROP TABLE certificate_outbox;
DROP TABLE certificate_idempotency_key;
DROP TABLE certificate_issuance;
