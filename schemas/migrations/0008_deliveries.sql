-- Delivery of committed work (issue 10): the PDFs, the e-mails and (later) the forwarding of
-- each declaration version, drained from the event log after commit.
--
-- * Each event carries the transaction that recorded it, as a number. A drain takes the events
--   of transactions older than every one still running (its snapshot's xmin), so no event is
--   passed over because its transaction committed after one that recorded a later event. The
--   BRIN index is a few pages for millions of events: they are appended in transaction order.
-- * The drain writes a delivery per (version, consumer) in its own transaction, derived from
--   the events, so that filing pays nothing for it; requests for a PDF or an e-mail write
--   theirs in the request's transaction.
-- * What a delivery did is recorded under a unique key (a document per version and language),
--   so that a job run twice does its effect once.

ALTER TABLE declaration_events
    ADD COLUMN recorded_by bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX declaration_events_recorded_by ON declaration_events USING brin (recorded_by)
    WITH (autosummarize = on);

-- How far the drain has got: every event of a transaction below ``horizon`` has its deliveries.
-- It starts after the events that exist now: history gets its PDFs when they are asked for.
CREATE TABLE event_drain (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    horizon bigint NOT NULL
);
INSERT INTO event_drain (horizon) VALUES (pg_current_xact_id()::text::bigint + 1);

CREATE TYPE delivery_kind AS ENUM ('PDF', 'EMAIL');
CREATE TYPE delivery_state AS ENUM ('PENDING', 'DONE', 'FAILED');

CREATE TABLE deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id uuid NOT NULL,
    version integer NOT NULL,
    kind delivery_kind NOT NULL,
    language text NOT NULL,
    -- The e-mail address, for an e-mail.
    address text,
    -- '' for the delivery the drain derived from the version's event; a request's own key for
    -- one asked for (each e-mail asked for is sent, even to the same address again).
    request_key text NOT NULL DEFAULT '',
    state delivery_state NOT NULL DEFAULT 'PENDING',
    attempts integer NOT NULL DEFAULT 0,
    -- Not before then: a failed attempt waits longer each time.
    due_at timestamptz NOT NULL DEFAULT now(),
    -- When a job was last enqueued for it: the sweep enqueues again what has waited too long.
    enqueued_at timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz
);
CREATE UNIQUE INDEX deliveries_once ON deliveries (declaration_id, version, kind, language, coalesce(address, ''), request_key);
CREATE INDEX deliveries_pending ON deliveries (due_at, id) WHERE state = 'PENDING';

-- A PDF, stored once per (version, language) under the SHA-256 of its bytes.
CREATE TABLE documents (
    declaration_id uuid NOT NULL,
    version integer NOT NULL,
    language text NOT NULL,
    sha256 bytea NOT NULL,
    bytes integer NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (declaration_id, version, language)
);

-- The token a version's QR code opens the verification page with: 128 random bits, the same
-- for every language of the version.
CREATE TABLE verification_tokens (
    token bytea PRIMARY KEY CHECK (length(token) >= 16),
    declaration_id uuid NOT NULL,
    version integer NOT NULL,
    UNIQUE (declaration_id, version)
);

-- The language a driver reads their PDFs and e-mails in, where the operator has set one.
ALTER TABLE drivers ADD COLUMN language text;
