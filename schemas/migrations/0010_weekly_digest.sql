-- The weekly e-mail to drivers (issue 10): one message per driver and address listing their
-- current and coming declarations with the PDFs attached, where the operator turns it on
-- (its profile's weeklyDriverEmail). A digest is a delivery like the others, anchored on the
-- driver's first such declaration and keyed by the ISO week, so that it is planned once.
ALTER TYPE delivery_kind ADD VALUE IF NOT EXISTS 'DIGEST';
