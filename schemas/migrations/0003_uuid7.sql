-- UUIDv7 made by PostgreSQL (which has uuidv7() only from version 18): rows created in SQL by
-- bulk filing get time-ordered ids like those made in Python, so keyset pages keep their order.
CREATE FUNCTION portal_uuid7() RETURNS uuid AS $$
    SELECT encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid
$$ LANGUAGE sql VOLATILE;
