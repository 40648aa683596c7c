-- Forwarding to authorities (issue 11): each submission, update and withdrawal reaches every
-- endpoint of the host country, in order, at least once; authorities may pull the same events.
--
-- * The feed numbers events in commit order. The drain (portal.delivery) writes a feed row per
--   event of the transactions it drains, all of them committed, and drains one at a time: a
--   position, once a reader has seen it, is never followed by a smaller one committed later.
--   Event ids (declaration_events.id) are not that order: they are taken before commit.
-- * An endpoint keeps a cursor over its country's feed (delivered_upto), not a row per event:
--   a backlog of a million events costs the endpoint nothing until it is sent, and a batch
--   delivered is one row updated. The batch being tried (up to inflight_upto) is kept, so that
--   a retry sends the same events under the same webhook-id.
-- * Events set aside are rows of forwarding_parked: DEAD after an outage longer than the limit,
--   REDRIVE once re-driven, DELIVERED once re-delivered (kept until the cursor passes them, so
--   that a batch in flight over them keeps its events). Later events of a declaration with an
--   event aside are set aside behind it: a receiver gets a declaration's versions in order.

CREATE TABLE forwarding_feed (
    position bigint GENERATED ALWAYS AS IDENTITY,
    posting_country text NOT NULL,
    declaration_id uuid NOT NULL,
    version integer NOT NULL,
    event_type declaration_event_type NOT NULL,
    -- When the drain fed it: how long an event has waited is counted from here.
    fed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX forwarding_feed_by_country ON forwarding_feed (posting_country, position);
-- A declaration's delivery state, and retention.
CREATE INDEX forwarding_feed_by_declaration ON forwarding_feed (declaration_id, version);

CREATE TYPE endpoint_state AS ENUM ('ACTIVE', 'DISABLED');

CREATE TABLE forwarding_endpoints (
    id uuid PRIMARY KEY,
    authority_id uuid NOT NULL REFERENCES authorities,
    posting_country text NOT NULL,
    url text NOT NULL,
    state endpoint_state NOT NULL DEFAULT 'ACTIVE',
    disabled_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The feed's end when it was registered: it is sent the events after.
    started_after bigint NOT NULL,
    -- Every event of the country up to this position is delivered (or set aside).
    delivered_upto bigint NOT NULL,
    inflight_upto bigint,
    -- The parked events of the redrive batch being tried.
    redrive_inflight bigint[],
    -- One job at a time sends to an endpoint: the one holding the lease (token) until then.
    lease_token uuid,
    leased_until timestamptz,
    last_success_at timestamptz,
    failure_streak integer NOT NULL DEFAULT 0,
    failing_since timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    UNIQUE (authority_id, url)
);
CREATE INDEX forwarding_endpoints_by_country ON forwarding_endpoints (posting_country) WHERE state = 'ACTIVE';

-- The secrets an endpoint's batches are signed with, encrypted with the portal's secret: the
-- current one (expires_at NULL) and, for a while after a rotation, the one before.
CREATE TABLE forwarding_secrets (
    endpoint_id uuid NOT NULL REFERENCES forwarding_endpoints ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at timestamptz,
    secret bytea NOT NULL,
    PRIMARY KEY (endpoint_id, created_at)
);

CREATE TYPE parked_state AS ENUM ('DEAD', 'REDRIVE', 'DELIVERED');

CREATE TABLE forwarding_parked (
    endpoint_id uuid NOT NULL REFERENCES forwarding_endpoints ON DELETE CASCADE,
    position bigint NOT NULL,
    declaration_id uuid NOT NULL,
    state parked_state NOT NULL DEFAULT 'DEAD',
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint_id, position)
);
CREATE INDEX forwarding_parked_by_declaration ON forwarding_parked (endpoint_id, declaration_id) WHERE state <> 'DELIVERED';
