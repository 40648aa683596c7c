-- A job claims the deliveries it acts on for a while (a lease), so that the sweep's second job
-- for a delivery whose first job is slow, not lost, finds it claimed and leaves it: an e-mail
-- is sent once. A job killed with its lease held frees it when the lease runs out.
ALTER TABLE deliveries ADD COLUMN leased_until timestamptz;

-- Retention deletes a PDF's file once no record names its digest any more: found by digest.
CREATE INDEX documents_by_digest ON documents (sha256);
