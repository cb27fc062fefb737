-- Bulk issuance (docs/bulk.md): a job and its rows, each row an issue
-- request checked when the job was accepted. A runner takes a pending row
-- under a lease (leased_until) and records what became of it; a row whose
-- runner died is taken again once its lease ran out. Rows of one job are
-- written in the statement that writes the job.
CREATE TABLE bulk_job (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL
);

CREATE TABLE bulk_row (
    job_id uuid NOT NULL,
    number integer NOT NULL CHECK (number > 0),
    user_id uuid NOT NULL,
    course_id text NOT NULL,
    request text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'issued', 'already_issued', 'failed')),
    certificate_id text,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL,
    leased_until timestamptz,
    done_at timestamptz,
    PRIMARY KEY (job_id, number)
);
CREATE INDEX bulk_row_pending ON bulk_row (due_at, job_id, number) WHERE state = 'pending';
