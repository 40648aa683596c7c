-- Bulk filing: the operator's own reference of each declaration, uploads and their outcomes.

-- Re-sending an upload finds its declarations again by reference instead of filing them twice.
ALTER TABLE declarations ADD COLUMN client_reference text;
CREATE UNIQUE INDEX declarations_client_reference ON declarations (operator_id, client_reference)
    WHERE client_reference IS NOT NULL;

CREATE TABLE bulk_uploads (
    id uuid PRIMARY KEY,
    operator_id uuid NOT NULL REFERENCES operators ON DELETE CASCADE,
    state text NOT NULL CHECK (state IN ('RUNNING', 'DONE', 'FAILED')),
    submit boolean NOT NULL,
    received integer NOT NULL DEFAULT 0,
    accepted integer NOT NULL DEFAULT 0,
    rejected integer NOT NULL DEFAULT 0,
    submitted integer NOT NULL DEFAULT 0,
    message text NOT NULL DEFAULT '',
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX bulk_uploads_by_operator ON bulk_uploads (operator_id, id);

-- One row per record of an upload, by position: its declaration, or what was wrong with it.
CREATE TABLE bulk_upload_results (
    upload_id uuid NOT NULL REFERENCES bulk_uploads ON DELETE CASCADE,
    position integer NOT NULL,
    client_reference text,
    declaration_id uuid,
    errors jsonb,
    PRIMARY KEY (upload_id, position)
);
