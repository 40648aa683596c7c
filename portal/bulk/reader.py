"""Split a streamed upload into its records' raw bytes, without holding the upload in memory.

NDJSON is split on newlines. A JSON array is split at the end of each top-level object: a
record ends at the first ``}`` after which the bytes so far parse as JSON (a ``}`` inside a
string does not end it). Records are flat objects, so this costs one extra syntax check per
record in msgspec, not a byte-by-byte scan in Python.
"""

from collections.abc import AsyncIterator

import msgspec

MAX_RECORD_BYTES = 64 * 1024
_WHITESPACE = b" \t\r\n"
_raw = msgspec.json.Decoder(msgspec.Raw)


class Unreadable(Exception):
    """The upload cannot be split any further: what follows is lost, what came before is kept."""


class TooLarge(msgspec.Struct, frozen=True):
    """A record over the size limit, kept apart so it is reported, not decoded."""

    size: int


async def ndjson_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes | TooLarge]:
    pending = b""
    async for chunk in chunks:
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.strip():
                yield TooLarge(len(line)) if len(line) > MAX_RECORD_BYTES else line
        if len(pending) > MAX_RECORD_BYTES:
            # Keep reading to the end of this line, but not into memory.
            yield TooLarge(len(pending))
            pending = await _skip_line(chunks)
    if pending.strip():
        yield TooLarge(len(pending)) if len(pending) > MAX_RECORD_BYTES else pending


async def _skip_line(chunks: AsyncIterator[bytes]) -> bytes:
    async for chunk in chunks:
        newline = chunk.find(b"\n")
        if newline >= 0:
            return chunk[newline + 1 :]
    return b""


async def array_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    buffer = bytearray()
    position = 0
    state = "open"  # expecting "[", then records separated by ",", then "]"
    async for chunk in chunks:
        buffer += chunk
        while True:
            position = _skip_whitespace(buffer, position)
            if position >= len(buffer):
                break
            if state == "open":
                if buffer[position : position + 1] != b"[":
                    raise Unreadable("the body is neither a JSON array nor NDJSON")
                position += 1
                state = "first"
                continue
            if state == "done":
                raise Unreadable("there is more after the closing ] of the array")
            if buffer[position : position + 1] == b"]" and state in ("first", "next"):
                position += 1
                state = "done"
                continue
            if state == "next":
                if buffer[position : position + 1] != b",":
                    raise Unreadable(
                        f"expected , or ] between records, found {bytes(buffer[position : position + 1])!r}"
                    )
                position += 1
                state = "record"
                continue
            end = _record_end(buffer, position)
            if end is None:
                if len(buffer) - position > MAX_RECORD_BYTES:
                    raise Unreadable(f"a record is larger than {MAX_RECORD_BYTES} bytes or never ends")
                break
            yield bytes(buffer[position:end])
            position = end
            state = "next"
        # Drop what has been handed out, so the buffer holds at most one partial record.
        del buffer[:position]
        position = 0
    if state != "done":
        raise Unreadable("the body ends before the closing ] of the array")


def _skip_whitespace(buffer: bytearray, position: int) -> int:
    while position < len(buffer) and buffer[position] in _WHITESPACE:
        position += 1
    return position


def _record_end(buffer: bytearray, start: int) -> int | None:
    """The end of the JSON value starting at ``start``, or None if it is not complete yet."""
    if buffer[start : start + 1] != b"{":
        # Not an object: a scalar or array record ends at the next "," or "]" at this level;
        # decoding reports it as a record that is not an object.
        candidates = [i for i in (buffer.find(b",", start), buffer.find(b"]", start)) if i >= 0]
        if not candidates:
            return None
        end = min(candidates)
        return end if _parses(buffer, start, end) else _record_end_by_brace(buffer, start)
    return _record_end_by_brace(buffer, start)


def _record_end_by_brace(buffer: bytearray, start: int) -> int | None:
    search = start
    while True:
        brace = buffer.find(b"}", search)
        if brace < 0 or brace - start > MAX_RECORD_BYTES:
            return None
        if _parses(buffer, start, brace + 1):
            return brace + 1
        search = brace + 1


def _parses(buffer: bytearray, start: int, end: int) -> bool:
    # A copy, not a memoryview: a view left alive would stop the buffer from shrinking.
    try:
        _raw.decode(bytes(buffer[start:end]))
    except (msgspec.DecodeError, RecursionError):
        return False
    return True
