"""SQL of the operator's filing locks: every path that files a declaration, or removes what a
declaration needs, takes them first, so that bulk filing and single changes never see each
other half-way."""

# The advisory-lock namespace of "filing for this operator"; the other key is the operator.
FILING_LOCK = 0x626C6B
# Bulk filing runs in at most this many partitions (settings.bulk.partitions), one lock each.
MAX_PARTITIONS = 8


def filing_lock(operator: str, *, partition: int | None = None) -> str:
    """The SQL that takes the filing locks of the operator (the SQL ``operator``) until the
    transaction ends.

    A bulk batch holds its partition's lock alone while it checks overlaps set-based and files
    (partitions never share a driver). A single change shares every partition's lock, taken
    before any row lock, so that the two never see each other half-way nor deadlock over rows.
    """
    if partition is not None:
        return f"SELECT pg_advisory_xact_lock({FILING_LOCK + partition}, hashtext({operator}::text))"
    shared = ", ".join(
        f"pg_advisory_xact_lock_shared({FILING_LOCK + p}, hashtext({operator}::text))" for p in range(MAX_PARTITIONS)
    )
    return f"SELECT {shared}"
