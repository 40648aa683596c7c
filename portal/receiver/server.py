"""The reference receiver: HTTP/1.1 with h11 on asyncio's sockets, its own so that it can reset
a connection (an RST, no answer) when told to; batches verified, deduplicated and stored.

For use in-process (tests, benchmarks)::

    async with Receiver(ReceiverConfig(secrets=[secret], port=0, data=":memory:")) as receiver:
        ...  # POST batches to receiver.url; await receiver.stats()
"""

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import enum
import http.client
import socket
import struct
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import NamedTuple, TypeVar

import h11
import msgspec
import structlog

from portal.receiver.control import (
    OK,
    Control,
    Faults,
    ModeRequest,
    Reply,
    Secrets,
    Stats,
    error,
    fault_reply,
    json_reply,
    stats_of,
)
from portal.receiver.store import Store, decode_batch

T = TypeVar("T")
MAX_BODY_BYTES = 64 * 1024 * 1024
# Reads of a quarter of a megabyte: a batch of 500 events is about 750 kB. The stream buffers
# up to twice its limit before it stops reading the socket.
_READ_BYTES = 256 * 1024
_STREAM_LIMIT = 1024 * 1024

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReceiverConfig:
    """``port`` 0 takes any free port (see ``Receiver.port``); ``data`` may be ``:memory:``."""

    secrets: Sequence[str]
    host: str = "127.0.0.1"
    port: int = 8800
    data: str = "receiver.sqlite3"
    mode: ModeRequest = OK


class _Request(NamedTuple):
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class _Reset(enum.Enum):
    """The answer that is none: the connection reset."""

    RESET = "reset"


RESET = _Reset.RESET


class _TooLarge(Exception):
    pass


class _Answer(msgspec.Struct, frozen=True, omit_defaults=True):
    stored: int
    duplicates: int
    conflicts: int = 0
    replayed: bool = False


class Receiver:
    """A receiver of forwarded events on ``config.host`` and ``config.port`` once started."""

    def __init__(self, config: ReceiverConfig) -> None:
        self.config = config
        self._secrets = Secrets(config.secrets)  # ValueError if one is not a secret
        self._faults = Faults(config.mode)
        self._control = Control(self._in_store, self._faults, self._secrets)
        # SQLite in a thread of its own: it lets go of the GIL while it works, so the event loop
        # goes on reading the next batch meanwhile; and one thread means calls never overlap.
        self._store_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="receiver-store")
        self._store: Store | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._store = await loop.run_in_executor(self._store_thread, Store, self.config.data)
        try:
            self._server = await asyncio.start_server(
                self._connection, self.config.host, self.config.port, limit=_STREAM_LIMIT
            )
        except OSError:  # the port taken, say
            await self._in_store(Store.close)
            self._store_thread.shutdown()
            raise

    async def stop(self) -> None:
        """Stop listening, drop open connections (a delivery cut short is not answered, so its
        sender retries it), and close the store once its last write is done."""
        if self._server is None:
            return
        self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
        await self._in_store(Store.close)
        self._store_thread.shutdown()
        log.info("receiver stopped")

    async def __aenter__(self) -> "Receiver":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    async def stats(self) -> Stats:
        mode = self._faults.current().mode
        return await self._in_store(lambda store: stats_of(store, mode))

    def set_mode(self, mode: ModeRequest) -> None:
        """As POST /_control/mode does."""
        self._faults.set(mode)

    async def _in_store(self, work: Callable[[Store], T]) -> T:
        store = self._store
        if store is None:
            raise RuntimeError("the receiver is not started")
        return await asyncio.get_running_loop().run_in_executor(self._store_thread, work, store)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Requests one after another on a connection (keep-alive), until either side closes it."""
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = h11.Connection(h11.SERVER)
        try:
            while (request := await _read_request(connection, reader, writer)) is not None:
                reply = await self._answer(request)
                if reply is RESET:
                    _reset(writer)
                    return
                await _send(connection, writer, reply)
                if connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                    return  # either side asked to close
                connection.start_next_cycle()
        except _TooLarge:
            with contextlib.suppress(ConnectionError):
                await _send(connection, writer, error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE), close=True)
        except h11.RemoteProtocolError as problem:
            if connection.our_state in {h11.IDLE, h11.SEND_RESPONSE}:
                with contextlib.suppress(ConnectionError):
                    await _send(connection, writer, error(HTTPStatus(problem.error_status_hint)), close=True)
        except ConnectionError:
            pass  # the client went: nothing to answer
        except asyncio.CancelledError:
            # The receiver stops: the connection is dropped. Not raised on: this task is the
            # connection's whole life, and asyncio would log a cancelled one as an error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _answer(self, request: _Request) -> Reply | _Reset:
        try:
            if request.path.startswith("/_control/"):
                return await self._control.answer(request.method, request.path, request.query, request.body)
            if request.method != "POST":
                return json_reply(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "Method Not Allowed"}, ("allow", "POST"))
            return await self._deliver(request)
        except Exception:
            log.exception("request failed", method=request.method)
            return error(HTTPStatus.INTERNAL_SERVER_ERROR)

    async def _deliver(self, request: _Request) -> Reply | _Reset:
        """A batch: the fault played if one is set, else verified, decoded and stored, answered
        2xx once committed."""
        webhook_id = request.headers.get("webhook-id", "")
        mode = self._faults.current()
        if mode.mode != "ok":
            await self._in_store(lambda store: store.count("failedOnPurpose"))
            log.info("delivery failed on purpose", mode=mode.mode, webhook_id=webhook_id)
            if mode.mode == "reset":
                return RESET
            if mode.mode == "stall":
                await self._faults.stall()  # never stored: its sender has given up by then
            return fault_reply(mode)
        rejection = self._secrets.rejection(request.body, request.headers)
        if rejection is not None:
            counter = "rejectedStale" if rejection == "stale" else "rejectedSignature"
            await self._in_store(lambda store: store.count(counter))
            log.warning("delivery rejected", reason=rejection, webhook_id=webhook_id)
            return error(HTTPStatus.UNAUTHORIZED, "stale timestamp" if rejection == "stale" else "no valid signature")
        try:
            events = decode_batch(request.body)
        except msgspec.DecodeError as problem:  # ValidationError too: it is a subclass
            await self._in_store(lambda store: store.count("rejectedMalformed"))
            log.warning("delivery malformed", webhook_id=webhook_id)
            return error(HTTPStatus.BAD_REQUEST, str(problem))
        taken = await self._in_store(lambda store: store.take(webhook_id, events))
        log.info(
            "batch received",
            webhook_id=webhook_id,
            events=len(events),
            stored=taken.stored,
            duplicates=taken.duplicates,
            conflicts=taken.conflicts,
            out_of_order=taken.out_of_order,
            replayed=taken.replayed,
        )
        return json_reply(HTTPStatus.OK, _Answer(taken.stored, taken.duplicates, taken.conflicts, taken.replayed))


async def serve(config: ReceiverConfig) -> Receiver:
    """A started receiver; ``await receiver.stop()`` when done."""
    receiver = Receiver(config)
    await receiver.start()
    return receiver


async def _read_request(
    connection: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> _Request | None:
    """The next request, its body whole; None once the client has closed the connection."""
    head: h11.Request | None = None
    chunks: list[bytes] = []
    size = 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            if connection.they_are_waiting_for_100_continue:
                writer.write(connection.send(h11.InformationalResponse(status_code=100, headers=[])))
            connection.receive_data(await reader.read(_READ_BYTES))  # b"": the client closed
        elif isinstance(event, h11.Request):
            head = event
            length = dict(event.headers).get(b"content-length")
            if length is not None and int(length) > MAX_BODY_BYTES:
                raise _TooLarge
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > MAX_BODY_BYTES:
                raise _TooLarge
            chunks.append(event.data)
        elif isinstance(event, h11.EndOfMessage) and head is not None:
            path, _, query = head.target.decode("latin-1").partition("?")
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in head.headers}
            return _Request(head.method.decode("latin-1"), path, query, headers, b"".join(chunks))
        else:
            return None  # ConnectionClosed


async def _send(connection: h11.Connection, writer: asyncio.StreamWriter, reply: Reply, *, close: bool = False) -> None:
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(reply.body))),
        *reply.headers,
        *([("connection", "close")] if close else []),
    ]
    reason = http.client.responses.get(reply.status, "")
    writer.write(connection.send(h11.Response(status_code=reply.status, headers=headers, reason=reason)))
    writer.write(connection.send(h11.Data(data=reply.body)))
    writer.write(connection.send(h11.EndOfMessage()))
    await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER {on, 0 s}: the kernel drops the connection with an RST."""
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
