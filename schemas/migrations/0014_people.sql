-- People who use the web pages: accounts with a password, each a member of one or more
-- operators (the official portal's "select firm"), the sessions of their browsers, and the
-- e-mails the portal sends them (address confirmation, password reset) through the worker.

CREATE TABLE people (
    id uuid PRIMARY KEY,
    -- Lower-cased when stored: an address is one account whatever its case.
    email text NOT NULL UNIQUE,
    -- argon2id, with its parameters in the string (argon2-cffi's PHC format).
    password_hash text NOT NULL,
    -- The language they chose for the pages; NULL: the switcher's, else Accept-Language.
    language text,
    confirmed_at timestamptz,
    -- A reset link names the time it was made for: a changed password makes older ones void.
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE member_role AS ENUM ('OWNER', 'MEMBER');

CREATE TABLE memberships (
    person_id uuid NOT NULL REFERENCES people ON DELETE CASCADE,
    operator_id uuid NOT NULL REFERENCES operators ON DELETE CASCADE,
    role member_role NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, operator_id)
);
CREATE INDEX memberships_operator ON memberships (operator_id);

-- The cookie holds a random token; only its SHA-256 is stored, as for API keys.
CREATE TABLE web_sessions (
    token_hash bytea PRIMARY KEY,
    person_id uuid NOT NULL REFERENCES people ON DELETE CASCADE,
    -- The operator the person works for in this session (NULL: not chosen yet).
    operator_id uuid REFERENCES operators ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions (person_id);

CREATE TYPE account_mail_purpose AS ENUM ('CONFIRM', 'RESET', 'INVITE');

-- Written in the request's transaction, sent after its commit by the worker: a sign-up that
-- is stored has its e-mail, whatever becomes of the server that answered it.
CREATE TABLE account_mails (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id uuid NOT NULL REFERENCES people ON DELETE CASCADE,
    purpose account_mail_purpose NOT NULL,
    language text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    last_error text
);
CREATE INDEX account_mails_due ON account_mails (next_attempt_at) WHERE sent_at IS NULL;
