DROP TABLE certificate_revocation;
ALTER TABLE certificate_issuance DROP COLUMN outcome_unknown, DROP COLUMN issuance_id;
