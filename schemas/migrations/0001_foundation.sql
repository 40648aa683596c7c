-- Foundation: operators, authorities, API keys, drivers, the vehicle register, declarations,
-- their event log (outbox, version history and authority feed in one), idempotency keys.

CREATE TABLE operators (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    establishment_country text NOT NULL,
    community_licence text,
    -- Address, VAT and register numbers, transport manager: edited on the web pages, printed on PDFs.
    profile jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE authorities (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    country text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Keys are 256-bit random secrets, so a fast hash (SHA-256) is as safe as a slow one and
-- keeps authentication off the CPU budget; only the hash is stored.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    operator_id uuid REFERENCES operators ON DELETE CASCADE,
    authority_id uuid REFERENCES authorities ON DELETE CASCADE,
    key_hash bytea NOT NULL UNIQUE,
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK (num_nonnulls(operator_id, authority_id) = 1)
);

CREATE TABLE drivers (
    id uuid PRIMARY KEY,
    operator_id uuid NOT NULL REFERENCES operators ON DELETE CASCADE,
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
    updated_at timestamptz NOT NULL,
    -- Bulk filing matches drivers on licence number and date of birth.
    CONSTRAINT drivers_identity UNIQUE (operator_id, license_number, date_of_birth)
);
CREATE INDEX drivers_by_operator ON drivers (operator_id, id);

CREATE TABLE vehicles (
    id uuid PRIMARY KEY,
    operator_id uuid NOT NULL REFERENCES operators ON DELETE CASCADE,
    plate_number text NOT NULL,
    registration_country text NOT NULL,
    transport_type text NOT NULL,
    vehicle_weight text NOT NULL,
    updated_at timestamptz NOT NULL,
    -- Declarations name plates without a country, so a plate is one vehicle per operator.
    CONSTRAINT vehicles_plate UNIQUE (operator_id, plate_number)
);
CREATE INDEX vehicles_by_operator ON vehicles (operator_id, id);

-- The current version of each declaration. EXPIRED is not stored: it is SUBMITTED with an
-- end date in the past, computed at every read so that no periodic job can lag behind.
CREATE TABLE declarations (
    id uuid PRIMARY KEY,
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
    updated_at timestamptz NOT NULL
);
-- Operator lists, newest last, in keyset order (ids are UUIDv7: time-ordered).
CREATE INDEX declarations_by_operator ON declarations (operator_id, id);
-- Overlap check on submit and "does this driver have declarations".
CREATE INDEX declarations_by_driver ON declarations (driver_id, posting_country, start_date);
-- Retention: what ended long enough ago to be deleted. BRIN, because end dates follow filing
-- order closely enough and a B-tree here cost bulk filing a fifth of its rate.
CREATE INDEX declarations_by_end_date ON declarations USING brin (end_date);

-- One row per submission, update and withdrawal: written in the same transaction as the
-- declaration's new version. It is the outbox the workers drain, the version history the
-- authorities read and the feed they pull from (ordered by id). The id a receiver deduplicates
-- on is derived from (declaration_id, version), unique below: no column or index of its own.
CREATE TABLE declaration_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id uuid NOT NULL REFERENCES declarations ON DELETE CASCADE,
    version integer NOT NULL,
    event_type text NOT NULL CHECK (event_type IN ('SUBMITTED', 'UPDATED', 'WITHDRAWN')),
    posting_country text NOT NULL,
    end_date date NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    CONSTRAINT declaration_events_version UNIQUE (declaration_id, version)
);
CREATE INDEX declaration_events_feed ON declaration_events (posting_country, id);
CREATE INDEX declaration_events_pending ON declaration_events (id) WHERE dispatched_at IS NULL;

-- The first answer to a POST carrying an Idempotency-Key, replayed to its retries.
CREATE TABLE idempotency_keys (
    principal_id uuid NOT NULL,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    status_code integer,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
