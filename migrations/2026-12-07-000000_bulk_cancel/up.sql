-- A bulk job can be cancelled (docs/bulk.md): its pending rows become
-- 'cancelled', done at the cancellation, and are never taken again.
ALTER TABLE bulk_row DROP CONSTRAINT bulk_row_state_check;
ALTER TABLE bulk_row ADD CONSTRAINT bulk_row_state_check
    CHECK (state IN ('pending', 'issued', 'already_issued', 'failed', 'cancelled'));
