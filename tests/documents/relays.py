"""An SMTP relay for tests: it counts every message it accepts, duplicates included, and can be
told to refuse them for a while (451, try again later)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingRelay:
    def __init__(self, *, refusing: bool = True) -> None:
        self.refusing = refusing
        self.accepted: list[bytes] = []
        self.url = ""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusing:
            return "451 4.3.0 try again later"
        self.accepted.append(envelope.original_content or b"")
        return "250 OK"


@asynccontextmanager
async def counting_relay(*, refusing: bool = True) -> AsyncIterator[CountingRelay]:
    """The relay listening on 127.0.0.1 (its ``url``) on this event loop."""
    relay = CountingRelay(refusing=refusing)
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(relay), "127.0.0.1", 0)
    relay.url = f"smtp://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield relay
    finally:
        server.close()
