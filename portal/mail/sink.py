"""A local SMTP server that keeps each message it accepts as a ``.eml`` file: the embedded default.

Messages are named by their Message-ID, so a message sent again after a lost acknowledgement
(the job retried) is kept once, as a mail system that deduplicates would.
"""

import asyncio
import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class _Keeper:
    """aiosmtpd's handler: writes the message, whole, before answering 250."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message_id = message_from_bytes(content).get("Message-ID", "") or repr(envelope.rcpt_tos) + str(len(content))
        name = hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"
        await asyncio.to_thread(_write_atomically, self.folder / name, content)
        return "250 Message accepted for delivery"


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
    partial.write_bytes(content)
    partial.replace(path)


class MailSink:
    """The SMTP server on 127.0.0.1, on a port of the system's choosing, in a thread of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mail-sink", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "MailSink":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        keeper = _Keeper(self.folder)

        async def listen() -> asyncio.base_events.Server:
            # No size limit of its own: the relay it stands in for decides that.
            return await self._loop.create_server(lambda: SMTP(keeper, data_size_limit=None), "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> "MailSink":
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


@contextlib.contextmanager
def relay_for(smtp_url: str, folder: Path) -> Iterator[str]:
    """Yield a usable SMTP URL: the given one, else that of a sink keeping messages in ``folder``."""
    if smtp_url:
        yield smtp_url
        return
    with MailSink(folder) as sink:
        yield sink.url


def kept(folder: Path) -> list[Path]:
    """The messages a sink has kept, oldest first."""
    return sorted(folder.glob("*.eml"), key=lambda path: (path.stat().st_mtime_ns, path.name))
