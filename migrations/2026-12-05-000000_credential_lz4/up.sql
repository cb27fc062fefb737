-- An Open Badge (about 2 KB) passes the size at which Postgres compresses a
-- row; pglz, the default, costs more CPU per issuance than the rest of the
-- row's write. lz4 compresses as small at a fraction of the cost (Postgres
-- 14 and later, built --with-lz4 as Debian's, PGDG's and the managed
-- services' packages are).
ALTER TABLE certificate_issuance ALTER COLUMN credential SET COMPRESSION lz4;
ALTER TABLE certificate_revocation ALTER COLUMN credential SET COMPRESSION lz4;
