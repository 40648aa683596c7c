-- Narrow storage (issue 9): a declaration in about a third of the bytes, one table a question.
--
-- * The driver a declaration shows is a row of driver_versions, named by (driver_id,
--   driver_version), not a copy in every declaration: drivers change rarely, and twenty
--   declarations of one driver share one version.
-- * Declared fields are columns, in storage names (portal.declarations.storage); operation and
--   transport types are bit sets; an empty plate list is NULL.
-- * An event is a narrow row. The version it records is the declarations row while it is the
--   current one; when a later version replaces it, the row as it was is kept on its event as a
--   document (``superseded``, to_jsonb of the row), read back leniently.
-- * declarations and declaration_events are no longer partitioned by month: every look-up by id
--   planned, locked and probed each month's partition, and a roadside search probed a GIN index
--   per month. Retention deletes what is due every night instead (portal.retention), with the
--   events of what it deletes; the audit log stays partitioned (it is append-only).
-- * The operator's references of bulk-filed declarations are a unique index of declarations.

CREATE TYPE declaration_status AS ENUM ('DRAFT', 'SUBMITTED', 'WITHDRAWN');
CREATE TYPE declaration_event_type AS ENUM ('SUBMITTED', 'UPDATED', 'WITHDRAWN');
CREATE TYPE declaration_email_status AS ENUM ('NOT_SENT', 'QUEUED', 'SENT', 'FAILED');

-- A driver's details as stated at each version; drivers holds the current one (its version).
CREATE TABLE driver_versions (
    driver_id uuid NOT NULL REFERENCES drivers ON DELETE CASCADE,
    version integer NOT NULL,
    latin_first_name text NOT NULL,
    latin_last_name text NOT NULL,
    date_of_birth date NOT NULL,
    license_number text NOT NULL,
    document_type text NOT NULL,
    document_number text NOT NULL,
    document_issuing_country text NOT NULL,
    address_street text NOT NULL,
    address_post_code text NOT NULL,
    address_city text NOT NULL,
    address_country text NOT NULL,
    contract_start_date date NOT NULL,
    applicable_law text NOT NULL,
    PRIMARY KEY (driver_id, version)
);
ALTER TABLE drivers ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Every driver as the old tables knew them, in wire names, to number their versions: the
-- snapshots copied into declarations and events, then the driver as they are now (the last).
CREATE TEMP TABLE old_driver_snapshots ON COMMIT DROP AS
WITH seen AS (
    SELECT driver_id, driver AS snapshot, updated_at AS seen_at, false AS current FROM declarations
    UNION ALL
    SELECT (payload->>'driverId')::uuid,
           (SELECT jsonb_object_agg(key, value) FROM jsonb_each(payload) WHERE key LIKE 'driver%'
              AND key NOT IN ('driverId', 'driverEmail', 'driverLatinFullName')),
           created_at, false
    FROM declaration_events
    UNION ALL
    SELECT id, jsonb_build_object(
        'driverLatinFirstName', latin_first_name, 'driverLatinLastName', latin_last_name,
        'driverDateOfBirth', date_of_birth, 'driverLicenseNumber', license_number,
        'driverDocumentType', document_type, 'driverDocumentNumber', document_number,
        'driverDocumentIssuingCountry', document_issuing_country, 'driverAddressStreet', address_street,
        'driverAddressPostCode', address_post_code, 'driverAddressCity', address_city,
        'driverAddressCountry', address_country, 'driverContractStartDate', contract_start_date,
        'driverApplicableLaw', applicable_law), updated_at, true
    FROM drivers
), distinct_snapshots AS (
    SELECT driver_id, snapshot, bool_or(current) AS current, min(seen_at) AS first_seen
    FROM seen GROUP BY driver_id, snapshot
)
SELECT driver_id, snapshot, current,
       row_number() OVER (PARTITION BY driver_id ORDER BY current, first_seen)::integer AS version
FROM distinct_snapshots;

INSERT INTO driver_versions (driver_id, version, latin_first_name, latin_last_name, date_of_birth, license_number,
    document_type, document_number, document_issuing_country, address_street, address_post_code, address_city,
    address_country, contract_start_date, applicable_law)
SELECT driver_id, version, snapshot->>'driverLatinFirstName', snapshot->>'driverLatinLastName',
       (snapshot->>'driverDateOfBirth')::date, snapshot->>'driverLicenseNumber', snapshot->>'driverDocumentType',
       snapshot->>'driverDocumentNumber', snapshot->>'driverDocumentIssuingCountry',
       snapshot->>'driverAddressStreet', snapshot->>'driverAddressPostCode', snapshot->>'driverAddressCity',
       snapshot->>'driverAddressCountry', (snapshot->>'driverContractStartDate')::date,
       snapshot->>'driverApplicableLaw'
FROM old_driver_snapshots;
UPDATE drivers d SET version = s.version FROM old_driver_snapshots s WHERE s.driver_id = d.id AND s.current;

-- The bit sets of the types, from their wire lists.
CREATE FUNCTION pg_temp.type_bits(types jsonb, first text, second text) RETURNS smallint
LANGUAGE sql IMMUTABLE RETURN ((types ? first)::integer + 2 * (types ? second)::integer)::smallint;

ALTER TABLE declarations RENAME TO declarations_0005;
ALTER TABLE declaration_events RENAME TO declaration_events_0005;

-- The current version of each declaration (portal.declarations.storage.StoredDeclaration, in its
-- order). EXPIRED is not stored: it is SUBMITTED with an end date in the past, computed at every
-- read so that no periodic job can lag behind.
--
-- No foreign keys: checking them cost bulk filing a quarter of its insert time (a lock on the
-- driver's and the operator's row for every declaration). The portal never deletes operators,
-- and deletes a driver only under its row lock, which every filing takes first, after seeing
-- that no declaration names them (portal.operators.drivers.repository.delete).
CREATE TABLE declarations (
    id uuid PRIMARY KEY,
    operator_id uuid NOT NULL,
    driver_id uuid NOT NULL,
    driver_version integer NOT NULL,
    version integer NOT NULL,
    status declaration_status NOT NULL,
    posting_country text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    -- 1 CABOTAGE_OPERATIONS, 2 INTERNATIONAL_CARRIAGE
    operation_types smallint NOT NULL,
    -- 1 CARRIAGE_OF_GOODS, 2 CARRIAGE_OF_PASSENGERS
    transport_types smallint NOT NULL,
    plates_passengers text[],
    plates_light text[],
    plates_heavy text[],
    contact_as_transport_manager boolean NOT NULL,
    contact_first_name text,
    contact_last_name text,
    contact_email text,
    contact_phone text,
    contact_street text,
    contact_city text,
    contact_country text,
    contact_post_code text,
    driver_email text,
    email_status declaration_email_status NOT NULL,
    submitted_at timestamptz,
    updated_at timestamptz NOT NULL,
    client_reference text
);

INSERT INTO declarations
SELECT d.id, d.operator_id, d.driver_id, s.version, d.version, d.status::declaration_status, d.posting_country,
       d.start_date, d.end_date,
       pg_temp.type_bits(d.details->'declarationOperationType', 'CABOTAGE_OPERATIONS', 'INTERNATIONAL_CARRIAGE'),
       pg_temp.type_bits(d.details->'declarationTransportType', 'CARRIAGE_OF_GOODS', 'CARRIAGE_OF_PASSENGERS'),
       nullif(d.plates_passengers, '{}'), nullif(d.plates_light, '{}'), nullif(d.plates_heavy, '{}'),
       (d.details->>'otherContactAsTransportManager')::boolean, d.details->>'otherContactFirstName',
       d.details->>'otherContactLastName', d.details->>'otherContactEmail', d.details->>'otherContactPhone',
       d.details->>'otherContactAddressStreet', d.details->>'otherContactAddressCity',
       d.details->>'otherContactAddressCountry', d.details->>'otherContactAddressPostCode',
       d.details->>'driverEmail', d.email_status::declaration_email_status, d.submitted_at, d.updated_at,
       d.client_reference
FROM declarations_0005 d
JOIN old_driver_snapshots s ON s.driver_id = d.driver_id AND s.snapshot = d.driver;

-- One row per submission, update and withdrawal, written in the transaction of the version it
-- records: the outbox the workers drain, the history authorities read, the feed. ``id`` is the
-- order events were recorded in; a receiver deduplicates on (declaration_id, version).
CREATE TABLE declaration_events (
    declaration_id uuid NOT NULL,
    version integer NOT NULL,
    event_type declaration_event_type NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    id bigint GENERATED ALWAYS AS IDENTITY,
    -- The declarations row of this version as it was, once a later version replaced it there.
    superseded jsonb,
    PRIMARY KEY (declaration_id, version)
);

-- An old payload (wire names) as the document of a superseded version (storage names).
INSERT INTO declaration_events (declaration_id, version, event_type, recorded_at, id, superseded)
OVERRIDING SYSTEM VALUE
SELECT e.declaration_id, e.version, e.event_type::declaration_event_type, e.created_at, e.id,
       CASE WHEN e.version < d.version THEN jsonb_build_object(
           'id', e.declaration_id, 'operator_id', p->>'operatorId', 'driver_id', p->>'driverId',
           'driver_version', s.version, 'version', e.version,
           'status', replace(p->>'declarationStatus', 'EXPIRED', 'SUBMITTED'),
           'posting_country', p->>'declarationPostingCountry', 'start_date', p->>'declarationStartDate',
           'end_date', p->>'declarationEndDate',
           'operation_types', pg_temp.type_bits(p->'declarationOperationType', 'CABOTAGE_OPERATIONS',
                                                'INTERNATIONAL_CARRIAGE'),
           'transport_types', pg_temp.type_bits(p->'declarationTransportType', 'CARRIAGE_OF_GOODS',
                                                'CARRIAGE_OF_PASSENGERS'),
           'plates_passengers', nullif(p->'declarationVehiclePlateNumber', '[]'),
           'plates_light', nullif(p->'declarationVehiclePlateNumberLight', '[]'),
           'plates_heavy', nullif(p->'declarationVehiclePlateNumberHeavy', '[]'),
           'contact_as_transport_manager', p->'otherContactAsTransportManager',
           'contact_first_name', p->'otherContactFirstName', 'contact_last_name', p->'otherContactLastName',
           'contact_email', p->'otherContactEmail', 'contact_phone', p->'otherContactPhone',
           'contact_street', p->'otherContactAddressStreet', 'contact_city', p->'otherContactAddressCity',
           'contact_country', p->'otherContactAddressCountry',
           'contact_post_code', p->'otherContactAddressPostCode', 'driver_email', p->'driverEmail',
           'email_status', p->'declarationEmailStatus', 'submitted_at', p->'declarationSubmissionDate',
           'updated_at', p->'declarationLastUpdate', 'client_reference', d.client_reference)
       END
FROM declaration_events_0005 e
CROSS JOIN LATERAL (SELECT e.payload AS p) AS payload
JOIN declarations d ON d.id = e.declaration_id
LEFT JOIN old_driver_snapshots s ON s.driver_id = d.driver_id
     AND s.snapshot = (SELECT jsonb_object_agg(key, value) FROM jsonb_each(e.payload) WHERE key LIKE 'driver%'
                         AND key NOT IN ('driverId', 'driverEmail', 'driverLatinFullName'));
SELECT setval(pg_get_serial_sequence('declaration_events', 'id'),
              (SELECT coalesce(max(id), 0) + 1 FROM declaration_events_0005), false);

DROP TABLE declarations_0005, declaration_events_0005, declaration_references;

-- Operator lists, in keyset order (ids are UUIDv7: time-ordered).
CREATE INDEX declarations_by_operator ON declarations (operator_id, id);
-- Overlaps (driver, host country, the end dates that can overlap a period), "does this driver
-- have declarations", and roadside searches by licence, document or name, which find the
-- driver first.
CREATE INDEX declarations_by_driver ON declarations (driver_id, posting_country, end_date);
-- Roadside search by plate: drafts are never shown at the roadside, so never indexed.
-- fastupdate off: a pending list that grows under bulk filing made look-ups stall until it was
-- merged; inserts pay a little more instead.
CREATE INDEX declarations_by_plate ON declarations
    USING gin ((plates_passengers || plates_light || plates_heavy)) WITH (fastupdate = off)
    WHERE status <> 'DRAFT';
-- Bulk filing finds a record sent again by the operator's reference.
CREATE UNIQUE INDEX declarations_by_client_reference ON declarations (operator_id, client_reference)
    WHERE client_reference IS NOT NULL;
-- Retention: what ended long enough ago. BRIN: end dates follow filing order closely enough,
-- and a B-tree here cost bulk filing a fifth of its rate.
CREATE INDEX declarations_by_end_date ON declarations USING brin (end_date);

-- Roadside searches by licence, identity document, or last name and date of birth match the
-- driver as declared: the versions declarations show.
DROP INDEX drivers_by_licence, drivers_by_document, drivers_by_birth_and_name;
CREATE INDEX driver_versions_by_licence ON driver_versions (portal_identifier(license_number));
CREATE INDEX driver_versions_by_document ON driver_versions (portal_identifier(document_number));
CREATE INDEX driver_versions_by_birth_and_name ON driver_versions (date_of_birth, lower(latin_last_name));
