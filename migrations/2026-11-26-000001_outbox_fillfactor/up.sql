-- Room in each page for the relay's lease update (leased_until is in no index
-- and no index predicate), so that it can be a heap-only (HOT) update.
ALTER TABLE certificate_outbox SET (fillfactor = 70);
