-- Roadside checks and retention.
--
-- Declarations and their events are partitioned by the month of their end date, so retention
-- detaches and drops whole months instead of deleting millions of rows one by one. The
-- authority audit log is partitioned by month too, kept for its own period, and append-only.

-- Monthly range partitions of ``parent`` covering ``first`` to ``last`` (whole months), named
-- parent_YYYY_MM. Created empty and then attached: attaching locks the parent in SHARE UPDATE
-- EXCLUSIVE mode only, where CREATE ... PARTITION OF would stop filing for a moment.
CREATE FUNCTION portal_month_partitions(parent regclass, first date, last date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first)::date;
    partition text;
    made integer := 0;
BEGIN
    -- Servers, workers and migrations may all ask at once: one creates, the others find them.
    PERFORM pg_advisory_xact_lock(hashtext('portal_month_partitions'), hashtext(parent::text));
    WHILE month <= last LOOP
        partition := format('%s_%s', parent::text, to_char(month, 'YYYY_MM'));
        IF to_regclass(partition) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition, parent);
            EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           parent, partition, month, (month + interval '1 month')::date);
            made := made + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$;

-- The first day of the month of each partition of ``parent``, read from its bounds.
CREATE FUNCTION portal_partition_months(parent regclass)
RETURNS TABLE (partition regclass, month date)
LANGUAGE sql STABLE AS $$
    SELECT c.oid::regclass, substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([0-9-]+)')::date
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = parent
    ORDER BY 2
$$;

-- Move the unpartitioned tables aside; their rows are copied into the partitioned ones below.
ALTER TABLE declaration_events DROP CONSTRAINT declaration_events_declaration_id_fkey;
ALTER TABLE declarations RENAME TO declarations_0003;
ALTER TABLE declaration_events RENAME TO declaration_events_0003;
DROP INDEX declarations_by_operator, declarations_by_driver, declarations_by_end_date,
    declarations_client_reference, declaration_events_feed, declaration_events_pending;
ALTER TABLE declarations_0003 DROP CONSTRAINT declarations_pkey;
ALTER TABLE declaration_events_0003 DROP CONSTRAINT declaration_events_pkey,
    DROP CONSTRAINT declaration_events_version;

-- The current version of each declaration. EXPIRED is not stored: it is SUBMITTED with an
-- end date in the past, computed at every read so that no periodic job can lag behind.
-- Ids are UUIDv7 made by the portal; a partitioned table's unique keys must hold its
-- partition key, hence (id, end_date).
CREATE TABLE declarations (
    id uuid NOT NULL,
    operator_id uuid NOT NULL REFERENCES operators ON DELETE CASCADE,
    driver_id uuid NOT NULL REFERENCES drivers,
    status text NOT NULL CHECK (status IN ('DRAFT', 'SUBMITTED', 'WITHDRAWN')),
    version integer NOT NULL,
    posting_country text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    plates_passengers text[] NOT NULL,
    plates_light text[] NOT NULL,
    plates_heavy text[] NOT NULL,
    -- Operation and transport types, contact person and driver e-mail, in wire names.
    details jsonb NOT NULL,
    -- The driver as declared at this version, in wire names.
    driver jsonb NOT NULL,
    email_status text NOT NULL DEFAULT 'NOT_SENT',
    submitted_at timestamptz,
    updated_at timestamptz NOT NULL,
    -- The operator's own reference (bulk filing), unique per operator: see 0005.
    client_reference text,
    PRIMARY KEY (id, end_date)
) PARTITION BY RANGE (end_date);
-- Operator lists, newest last, in keyset order (ids are UUIDv7: time-ordered).
CREATE INDEX declarations_by_operator ON declarations (operator_id, id);
-- Overlap check on submit, "does this driver have declarations", and roadside searches by
-- licence, document number or name, which find the driver first.
CREATE INDEX declarations_by_driver ON declarations (driver_id, posting_country, start_date);
CREATE INDEX declarations_by_client_reference ON declarations (operator_id, client_reference)
    WHERE client_reference IS NOT NULL;
-- Roadside search by plate. fastupdate off: a pending list that grows under bulk filing made
-- look-ups stall until it was merged; inserts pay a little more instead.
CREATE INDEX declarations_by_plate ON declarations
    USING gin ((plates_passengers || plates_light || plates_heavy)) WITH (fastupdate = off);

-- One row per submission, update and withdrawal, written in the same transaction as the
-- declaration's new version: the outbox the workers drain, the version history the
-- authorities read, and their feed (ordered by id). Partitioned by the end date the version
-- states, so each version is deleted the retention period after its own end date. The id a
-- receiver deduplicates on is derived from (declaration_id, version).
CREATE SEQUENCE declaration_event_ids AS bigint;
CREATE TABLE declaration_events (
    id bigint NOT NULL DEFAULT nextval('declaration_event_ids'),
    declaration_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL CHECK (event_type IN ('SUBMITTED', 'UPDATED', 'WITHDRAWN')),
    posting_country text NOT NULL,
    end_date date NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    PRIMARY KEY (id, end_date)
) PARTITION BY RANGE (end_date);
ALTER SEQUENCE declaration_event_ids OWNED BY declaration_events.id;
CREATE INDEX declaration_events_by_declaration ON declaration_events (declaration_id, version);
CREATE INDEX declaration_events_feed ON declaration_events (posting_country, id);
CREATE INDEX declaration_events_pending ON declaration_events (id) WHERE dispatched_at IS NULL;

-- Months from last month (or the oldest row kept) to two years ahead: the filing window of
-- portal.declarations.rules stays inside them, and the housekeeping job (portal.retention)
-- keeps two years ahead ready as the months pass.
SELECT portal_month_partitions(parent, least(current_date - interval '2 months', oldest)::date,
                               (current_date + interval '24 months')::date)
FROM (VALUES ('declarations'::regclass), ('declaration_events'::regclass)) AS p(parent),
     (SELECT coalesce(min(end_date), current_date) AS oldest FROM declarations_0003) AS d;
SELECT portal_month_partitions('declarations', min(end_date), max(end_date)) FROM declarations_0003
HAVING count(*) > 0;
SELECT portal_month_partitions('declaration_events', min(end_date), max(end_date)) FROM declaration_events_0003
HAVING count(*) > 0;

INSERT INTO declarations (id, operator_id, driver_id, status, version, posting_country, start_date, end_date,
    plates_passengers, plates_light, plates_heavy, details, driver, email_status, submitted_at, updated_at,
    client_reference)
SELECT id, operator_id, driver_id, status, version, posting_country, start_date, end_date,
    plates_passengers, plates_light, plates_heavy, details, driver, email_status, submitted_at, updated_at,
    client_reference
FROM declarations_0003;
INSERT INTO declaration_events (id, declaration_id, version, event_type, posting_country, end_date, payload,
    created_at, dispatched_at)
SELECT id, declaration_id, version, event_type, posting_country, end_date, payload, created_at, dispatched_at
FROM declaration_events_0003;
SELECT setval('declaration_event_ids', (SELECT coalesce(max(id), 0) + 1 FROM declaration_events_0003), false);
DROP TABLE declaration_events_0003, declarations_0003;

-- Roadside searches by licence, identity document, or last name and date of birth find the
-- drivers first (few rows, rarely written), then their declarations by driver.
-- Numbers match whatever the case and separators an inspector types them with; both sides
-- are folded here, in one place, so that they always fold alike.
CREATE FUNCTION portal_identifier(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN upper(translate(value, ' -./', ''));
CREATE INDEX drivers_by_licence ON drivers (portal_identifier(license_number));
CREATE INDEX drivers_by_document ON drivers (portal_identifier(document_number));
CREATE INDEX drivers_by_birth_and_name ON drivers (date_of_birth, lower(latin_last_name));

-- Every authority search and every record viewed: who, when, what was asked, which records
-- came back and why. Written in the same statement as the answer is read.
CREATE SEQUENCE authority_audit_ids AS bigint;
CREATE TABLE authority_audit (
    id bigint NOT NULL DEFAULT nextval('authority_audit_ids'),
    at timestamptz NOT NULL DEFAULT now(),
    authority_id uuid NOT NULL REFERENCES authorities,
    -- The credential used: an API key today, an authority user when the web pages come.
    api_key_id uuid NOT NULL,
    action text NOT NULL CHECK (action IN ('SEARCH', 'VIEW')),
    -- The search keys and validOn as asked, or the declaration id viewed.
    query jsonb NOT NULL,
    purpose text NOT NULL,
    declaration_ids uuid[] NOT NULL,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE authority_audit_ids OWNED BY authority_audit.id;
CREATE INDEX authority_audit_by_authority ON authority_audit (authority_id, at);

-- The same look-ups by declaration: an operator's access log of one declaration.
CREATE TABLE authority_audit_hits (
    declaration_id uuid NOT NULL,
    audit_id bigint NOT NULL,
    at timestamptz NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX authority_audit_hits_by_declaration ON authority_audit_hits (declaration_id, at);

SELECT portal_month_partitions(parent, current_date, (current_date + interval '24 months')::date)
FROM (VALUES ('authority_audit'::regclass), ('authority_audit_hits'::regclass)) AS p(parent);

-- Append-only, whoever connects: the portal's role may insert and read audit rows, never change
-- or remove them. Only retention removes them, by detaching and dropping whole months.
CREATE FUNCTION portal_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the authority audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER authority_audit_append_only BEFORE UPDATE OR DELETE ON authority_audit
    FOR EACH ROW EXECUTE FUNCTION portal_refuse_audit_change();
CREATE TRIGGER authority_audit_no_truncate BEFORE TRUNCATE ON authority_audit
    FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_audit_change();
CREATE TRIGGER authority_audit_hits_append_only BEFORE UPDATE OR DELETE ON authority_audit_hits
    FOR EACH ROW EXECUTE FUNCTION portal_refuse_audit_change();
CREATE TRIGGER authority_audit_hits_no_truncate BEFORE TRUNCATE ON authority_audit_hits
    FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_audit_change();
REVOKE UPDATE, DELETE, TRUNCATE ON authority_audit, authority_audit_hits FROM PUBLIC;
