DELETE FROM bulk_row WHERE state = 'cancelled';
ALTER TABLE bulk_row DROP CONSTRAINT bulk_row_state_check;
ALTER TABLE bulk_row ADD CONSTRAINT bulk_row_state_check
    CHECK (state IN ('pending', 'issued', 'already_issued', 'failed'));
