ALTER TABLE certificate_issuance ALTER COLUMN credential SET COMPRESSION default;
ALTER TABLE certificate_revocation ALTER COLUMN credential SET COMPRESSION default;
