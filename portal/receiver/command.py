"""``portal receiver``: the reference receiver, run until SIGTERM or SIGINT."""

import asyncio
import signal
import sqlite3
from typing import TYPE_CHECKING, cast

import click

if TYPE_CHECKING:
    from portal.receiver.server import Receiver

MODES = ("ok", "fail", "stall", "reset", "gone", "throttle")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=8800, show_default=True, help="port (0: any free one)")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    required=True,
    envvar="PORTAL_RECEIVER_SECRET",
    show_envvar=True,
    help="a whsec_ secret deliveries may be signed with; repeat it during a rotation (in the variable:"
    " several separated by spaces)",
)
@click.option("--data", default="receiver.sqlite3", show_default=True, help="SQLite file of what came, or :memory:")
@click.option("--mode", type=click.Choice(MODES), default="ok", show_default=True, help="fault to play from the start")
@click.option("--mode-seconds", type=click.FloatRange(min=0, min_open=True), help="for how long [default: until told]")
@click.option("--mode-status", type=click.IntRange(400, 599), help="status of fail (default 500) or throttle (429)")
@click.option("--retry-after", type=click.IntRange(min=0), default=5, show_default=True, help="Retry-After of throttle")
def receiver(
    host: str,
    port: int,
    secrets: tuple[str, ...],
    data: str,
    mode: str,
    mode_seconds: float | None,
    mode_status: int | None,
    retry_after: int,
) -> None:
    """A reference receiver of the portal's forwarded events, for authorities' integrators (to
    watch forwarding work end to end) and for the portal's benchmark and fault tests.

    It takes POSTs of event batches on any path; verifies their Standard Webhooks signatures
    with the Standard Webhooks library and refuses (401) a forged one or a timestamp over 5
    minutes old or ahead; answers a replayed webhook-id without storing it again; deduplicates
    events by eventId, counting conflicts (the same eventId with another body) and versions out
    of order; and stores what it received in SQLite (--data) before it answers 200. It logs a
    line per batch: counts and webhook ids, never the events.

    It can be told to fail (500), stall, reset connections (TCP RST), or answer 410 or 429 for
    a while: POST /_control/mode {"mode": "fail", "seconds": 30}, or --mode from the start.
    Other routes: GET /_control/stats, GET /_control/events?after=&limit=, GET
    /_control/health, POST /_control/secrets {"secrets": [...]}, POST /_control/reset-store.
    They take no signature: the receiver listens on 127.0.0.1 unless --host says otherwise.
    """
    # Imported here: the portal's other commands load this module without running it.
    from portal import logs
    from portal.receiver.control import Mode, ModeRequest
    from portal.receiver.server import Receiver, ReceiverConfig

    initial = ModeRequest(mode=cast(Mode, mode), seconds=mode_seconds, status=mode_status, retry_after=retry_after)
    try:
        served = Receiver(ReceiverConfig(secrets=secrets, host=host, port=port, data=data, mode=initial))
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--secret") from None
    logs.configure()
    try:
        asyncio.run(_run(served))
    except (OSError, sqlite3.Error) as problem:
        raise click.ClickException(f"cannot start the receiver: {problem}") from None


async def _run(receiver: "Receiver") -> None:
    await receiver.start()
    url = receiver.url
    click.echo(f"Receiver:  {url}  (stats: {url}/_control/stats)")  # click.echo flushes
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        await receiver.stop()
