-- A ZIP of the PDFs of a selection of declarations (issue 10), built by the worker.
--
-- * The selection is fixed when it is asked for: each declaration at its version then, so the
--   archive holds what the operator saw listed, whatever is filed meanwhile.
-- * The drain enqueues what is BUILDING and not enqueued lately, as it does deliveries: a wiped
--   Redis or a killed worker delays an archive, never loses it.
-- * ``done`` counts the PDFs rendered or found so far: the progress a client reads.
CREATE TYPE archive_state AS ENUM ('BUILDING', 'READY', 'FAILED');

CREATE TABLE pdf_archives (
    id uuid PRIMARY KEY,
    operator_id uuid NOT NULL,
    language text NOT NULL,
    declaration_ids uuid[] NOT NULL,
    versions integer[] NOT NULL CHECK (cardinality(versions) = cardinality(declaration_ids)),
    state archive_state NOT NULL DEFAULT 'BUILDING',
    done integer NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL DEFAULT now(),
    enqueued_at timestamptz,
    last_error text,
    sha256 bytea,
    bytes bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX pdf_archives_building ON pdf_archives (due_at) WHERE state = 'BUILDING';
CREATE INDEX pdf_archives_of_operator ON pdf_archives (operator_id, created_at);
