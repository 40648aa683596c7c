"""Load that measures latency honestly: closed loop (saturation) and open loop (a fixed offered
rate, latency counted from when each request was due), over asyncpg or keep-alive HTTP lanes."""

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

# One request on a lane at a time; True when answered as expected.
Call = Callable[[int], Awaitable[bool]]


class Measured(NamedTuple):
    answered: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        """Answered as expected, per second."""
        return (self.answered - self.failed) / self.seconds


def _measured(latencies: list[float], failed: int, seconds: float) -> Measured:
    if len(latencies) < 2:
        return Measured(len(latencies), failed, seconds, float("nan"), float("nan"))
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    measured = Measured(len(latencies), failed, seconds, cuts[49] * 1000, cuts[98] * 1000)
    print(
        f"  {measured.rate:,.0f}/s, p50 {measured.p50_ms:.1f} ms, p99 {measured.p99_ms:.1f} ms, {failed:,} failed",
        file=sys.stderr,
    )
    return measured


async def saturate(lanes: list[Call], seconds: float) -> Measured:
    """Closed loop: every lane asks again as soon as it is answered."""
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + seconds

    async def run(lane: Call, first: int) -> None:
        nonlocal failed
        number = first
        while (sent := time.perf_counter()) < deadline:
            ok = await lane(number)
            latencies.append(time.perf_counter() - sent)
            failed += not ok
            number += len(lanes)

    started = time.perf_counter()
    await asyncio.gather(*(run(lane, first) for first, lane in enumerate(lanes)))
    return _measured(latencies, failed, time.perf_counter() - started)


async def offer(lanes: list[Call], rate: float, seconds: float) -> Measured:
    """Open loop: request i is due at start + i / rate, taken by the first free lane, and its
    latency counts from when it was due (a late answer delays no later request's schedule)."""
    due: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
    latencies: list[float] = []
    failed = 0

    async def run(lane: Call) -> None:
        nonlocal failed
        while (request := await due.get())[1] >= 0:
            ok = await lane(request[1])
            latencies.append(time.perf_counter() - request[0])
            failed += not ok

    workers = [asyncio.create_task(run(lane)) for lane in lanes]
    started = time.perf_counter()
    for number in range(int(rate * seconds)):
        at = started + number / rate
        if (wait := at - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        due.put_nowait((at, number))
    for _ in lanes:
        due.put_nowait((0.0, -1))
    # A server far slower than the rate would take ages to drain the queue: what is unanswered
    # a grace period after the last request was due counts as failed, at its latency so far.
    _, waiting = await asyncio.wait(workers, timeout=max(5.0, seconds / 2))
    if waiting:
        for worker in waiting:
            worker.cancel()
        now = time.perf_counter()
        unanswered = [now - at for at, number in _drain(due) if number >= 0] + [now - started - seconds] * len(waiting)
        latencies += unanswered
        failed += len(unanswered)
    return _measured(latencies, failed, time.perf_counter() - started)


def _drain(queue: "asyncio.Queue[tuple[float, int]]") -> list[tuple[float, int]]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


class _HttpLane(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time.

    Neither httpx (too slow to load a server from one core) nor locust (closed loop, no way to
    count latency from when a request was due) will do: this client parses only the status and
    the length of each answer, so that on the same cores it outruns the server (its ceiling
    against /ping is printed beside the figures).
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(self.buffer[:head_end]).lower()
        at = head.find(b"content-length:")
        if at < 0:
            raise RuntimeError("an answer without content-length: this client reads only those")
        length = int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
        if len(self.buffer) < head_end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[: head_end + 4 + length]
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the server closed the connection"))

    async def get(self, request: bytes) -> int:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer


def raw_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """An HTTP/1.1 request as the lanes send it."""
    lines = [f"{method} {path} HTTP/1.1", "host: 127.0.0.1", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def http_lanes(
    port: int, requests: list[bytes], count: int, expect: int = 200
) -> tuple[list[Call], list[_HttpLane]]:
    """``count`` connections sending ``requests`` in turn; a call answered ``expect`` succeeded."""
    loop = asyncio.get_running_loop()
    connections = [(await loop.create_connection(_HttpLane, "127.0.0.1", port))[1] for _ in range(count)]

    def lane(connection: _HttpLane) -> Call:
        async def call(number: int) -> bool:
            return await connection.get(requests[number % len(requests)]) == expect

        return call

    return [lane(connection) for connection in connections], connections
