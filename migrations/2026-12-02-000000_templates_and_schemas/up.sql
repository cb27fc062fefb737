-- The Handlebars templates and credential schemas the service keeps when it
-- issues by itself (CREDENTIAL_ISSUER=local; Sunbird RC keeps its own). A
-- template is never updated: what it rendered stays true.
CREATE TABLE certificate_template (
    template_id uuid PRIMARY KEY,
    schema_id text NOT NULL,
    schema_version text NOT NULL,
    template text NOT NULL,
    template_type text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE certificate_schema (
    schema_id uuid PRIMARY KEY,
    -- text, not jsonb: kept byte for byte as sent.
    schema text NOT NULL,
    created_at timestamptz NOT NULL
);
