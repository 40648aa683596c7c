-- The keys that sign the payload of the declaration PDF's QR code (COSE_Sign1, Ed25519), so
-- that an inspector can check a printed declaration offline against the public keys the portal
-- publishes (GET /verify/keys).
--
-- * One key is current: the one not retired. A renderer that finds none makes it; the partial
--   unique index lets only one of two renderers at once insert theirs (ON CONFLICT DO NOTHING),
--   and the other signs with the one that won.
-- * A retired key signs nothing more but stays published: the QR codes it signed stay
--   verifiable for as long as their PDFs are kept.
-- * The private key is PKCS#8, encrypted with the portal's secret (PORTAL_SECRET_KEY or the
--   data folder's key): a copy of the database alone signs nothing.

CREATE TABLE signing_keys (
    -- The first 8 bytes of the SHA-256 of the public key: the COSE header's kid.
    kid bytea PRIMARY KEY CHECK (length(kid) = 8),
    algorithm text NOT NULL,
    -- Raw: 32 bytes for Ed25519.
    public_key bytea NOT NULL,
    private_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    CHECK (retired_at IS NULL OR retired_at >= created_at)
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((true)) WHERE retired_at IS NULL;
