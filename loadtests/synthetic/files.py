"""Writing a fleet to a file, record by record: NDJSON or one JSON array, never whole in memory."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

# Written a megabyte at a time: few system calls, and memory that never grows with the fleet.
_CHUNK = 1 << 20


def write(path: Path, records: Iterable[dict[str, Any]], *, ndjson: bool | None = None) -> int:
    """Stream ``records`` to ``path`` and return how many were written.

    NDJSON (one compact object per line) when the path ends in .ndjson (or .jsonl) or ``ndjson``
    is true, else one JSON array with a record per line. Written in chunks of about a megabyte:
    the file is never held in memory.
    """
    path = Path(path)
    if ndjson is None:
        ndjson = path.name.lower().endswith((".ndjson", ".jsonl"))
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    count = 0
    with path.open("wb") as file:
        if ndjson:
            for record in records:
                encoder.encode_into(record, buffer, -1)
                buffer += b"\n"
                count += 1
                if len(buffer) >= _CHUNK:
                    file.write(buffer)
                    buffer.clear()
        else:
            buffer += b"[\n"
            for record in records:
                if count:
                    buffer += b",\n"
                encoder.encode_into(record, buffer, -1)
                count += 1
                if len(buffer) >= _CHUNK:
                    file.write(buffer)
                    buffer.clear()
            buffer += b"\n]\n"
        file.write(buffer)
    return count
