-- Verifying a certificate by its id (GET /certificate/{certificateId}/verify)
-- reads the credential recorded under it: the current one of an issuance, or
-- one a re-issue superseded, which the revocation queue now keeps.
CREATE INDEX certificate_issuance_certificate_id ON certificate_issuance (certificate_id);
ALTER TABLE certificate_revocation ADD COLUMN credential json;
CREATE INDEX certificate_revocation_certificate_id ON certificate_revocation (certificate_id);
