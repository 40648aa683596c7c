-- Bulk uploads: outcomes kept a batch to a row (one write per batch, not one per record), and
-- INTERRUPTED for an upload its server stopped, or was killed, before the end.

DROP TABLE bulk_upload_results;
CREATE TABLE bulk_upload_batches (
    upload_id uuid NOT NULL REFERENCES bulk_uploads ON DELETE CASCADE,
    -- Uploads file in partitions split by driver: each partition's batches are in upload order.
    partition integer NOT NULL,
    first_position integer NOT NULL,
    records integer NOT NULL,
    -- Each record's outcome in position order (portal.bulk.outcomes): position, clientReference,
    -- declaration id or errors.
    outcomes bytea NOT NULL,
    PRIMARY KEY (upload_id, partition, first_position)
);
ALTER TABLE bulk_uploads DROP CONSTRAINT bulk_uploads_state_check;
ALTER TABLE bulk_uploads ADD CONSTRAINT bulk_uploads_state_check
    CHECK (state IN ('RUNNING', 'DONE', 'FAILED', 'INTERRUPTED'));
-- The sweep looks for uploads still RUNNING.
CREATE INDEX bulk_uploads_running ON bulk_uploads (updated_at) WHERE state = 'RUNNING';
