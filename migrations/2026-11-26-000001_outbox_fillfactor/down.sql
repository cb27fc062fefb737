ALTER TABLE certificate_outbox RESET (fillfactor);
