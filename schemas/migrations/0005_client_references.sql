-- The operator's references of bulk-filed declarations, in one small table: a unique index on
-- the partitioned declarations would have to include the end date, and looking a reference up
-- in every monthly partition cost each bulk record one index probe per month.
CREATE TABLE declaration_references (
    operator_id uuid NOT NULL REFERENCES operators ON DELETE CASCADE,
    client_reference text NOT NULL,
    declaration_id uuid NOT NULL,
    -- Retention removes a reference once its declaration is gone (portal.retention).
    end_date date NOT NULL,
    PRIMARY KEY (operator_id, client_reference)
);
CREATE INDEX declaration_references_by_end_date ON declaration_references USING brin (end_date);
INSERT INTO declaration_references (operator_id, client_reference, declaration_id, end_date)
SELECT operator_id, client_reference, id, end_date FROM declarations WHERE client_reference IS NOT NULL;
DROP INDEX declarations_by_client_reference;
