"""The ``portal`` command: serve, worker, migrate, admin, keys, verify-qr, receiver and the benchmarks."""

import asyncio
import contextlib
import importlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from portal import settings as configuration
from portal.commands import settings as environment_settings

if TYPE_CHECKING:
    from portal.demo import DemoCredentials


class _Commands(click.Group):
    """The portal's commands, with those of the benchmarking tools (``loadtests``) loaded only
    when they are run, so that serving never imports them."""

    LAZY = {
        "bench": ("loadtests.cli", "bench"),
        "bench-lookups": ("loadtests.cli", "bench_lookups"),
        "bench-pdf": ("loadtests.cli", "bench_pdf"),
        "bench-forwarding": ("loadtests.forwarding_bench", "bench_forwarding"),
        "fleet": ("loadtests.synthetic.cli", "fleet"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attribute = self.LAZY[name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The posting-declaration portal.

    Settings come from environment variables: DATABASE_URL and REDIS_URL (unset: the portal
    starts its own PostgreSQL and Redis under PORTAL_DATA_DIR, default ./var), PORTAL_HOST,
    PORTAL_PORT, PORTAL_PUBLIC_URL and the others of the README's table (portal/settings.py).
    """


@main.command()
@click.option("--host", help="address to listen on [default: PORTAL_HOST or 127.0.0.1]")
@click.option("--port", type=click.IntRange(1, 65535), help="port [default: PORTAL_PORT or 8000]")
@click.option("--workers", type=click.IntRange(1, 64), help="server processes [default: PORTAL_WORKERS or 2]")
@click.option("--demo", is_flag=True, help="create a demo operator with a driver and plates, and print its API key")
@click.option("--no-worker", is_flag=True, help="do not start the background worker process")
def serve(host: str | None, port: int | None, workers: int | None, demo: bool, no_worker: bool) -> None:
    """Run the portal and its background worker until interrupted (Ctrl-C).

    Without DATABASE_URL/REDIS_URL it starts private PostgreSQL and Redis processes under
    the data folder, applies migrations, and stops them on exit; the data stays for next time.
    Without PORTAL_MAIL_SMTP_URL the e-mails to drivers are kept as .eml files in the data
    folder's mail/ (it says where).
    """
    from granian.constants import Interfaces

    from portal.db import migrate
    from portal.demo import prepare_demo
    from portal.embedded import services_for
    from portal.mail.sink import relay_for

    settings = environment_settings()
    http = settings.http
    settings = configuration.replace(
        settings, http={"host": host or http.host, "port": port or http.port, "workers": workers or http.workers}
    )
    kept_locally = not settings.mail.smtp_url
    if demo:
        # The demo's receiver listens on 127.0.0.1 over http: the demo allows what production refuses.
        settings = configuration.replace(settings, forwarding={"allow_http": True, "allow_private": True})
    with (
        services_for(settings.database.url, settings.redis.url, settings.data_dir) as (database_url, redis_url),
        relay_for(settings.mail.smtp_url, settings.mail_folder) as smtp_url,
    ):
        settings = configuration.replace(
            settings, database={"url": database_url}, redis={"url": redis_url}, mail={"smtp_url": smtp_url}
        )
        # The server and worker processes read their settings from the environment they are given.
        os.environ.update(configuration.as_environment(settings))
        # prometheus-client keeps each process's metrics there, and /metrics adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_fresh_folder(settings.data_dir / "metrics"))
        asyncio.run(migrate(database_url))
        demo_operator = asyncio.run(prepare_demo(database_url)) if demo else None
        receiver = _demo_receiver(settings, database_url, demo_operator) if demo_operator else None
        # Its own session, like the embedded servers: it is stopped below, once the server has.
        worker = (
            None if no_worker else subprocess.Popen([sys.executable, "-m", "portal", "worker"], start_new_session=True)
        )
        click.echo(f"Portal:            {settings.base_url}  (web pages: sign up or log in there)")
        click.echo(f"API documentation: {settings.base_url}/schema  (Swagger UI: /schema/swagger)")
        if kept_locally:
            click.echo(f"E-mail:            kept as .eml files in {settings.mail_folder.resolve()} (no relay set)")
        if demo_operator:
            _print_demo(demo_operator, settings.base_url)
        if receiver:
            click.echo(
                f"Demo receiver:     {receiver.url}  receives what is forwarded to the demo authority"
                f" (see {receiver.url}/_control/stats, `portal admin endpoints`)"
            )
        try:
            _server_class()(
                "portal.app:from_environment",
                factory=True,
                interface=Interfaces.ASGI,
                address=settings.http.host,
                port=settings.http.port,
                workers=settings.http.workers,
                log_access=False,
                # A worker that has not stopped by then is killed, so Ctrl-C always ends the portal.
                workers_kill_timeout=int(settings.bulk.stop_seconds) + 10,
            ).serve()
        finally:
            for process in (worker, receiver and receiver.process):
                if process is not None:
                    process.terminate()
                    process.wait(30)


class _DemoReceiver(NamedTuple):
    url: str
    process: "subprocess.Popen[bytes]"


def _demo_receiver(settings: configuration.Settings, database_url: str, demo: "DemoCredentials") -> _DemoReceiver:
    """``portal receiver`` on a free port of 127.0.0.1, registered as the demo authority's endpoint."""
    from portal.demo import demo_endpoint

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    secret = asyncio.run(demo_endpoint(database_url, settings, demo.authority_id, url))
    data = settings.data_dir / "demo-receiver.sqlite3"
    command = [sys.executable, "-m", "portal", "receiver", "--port", str(port), "--data", str(data)]
    # The secret in its environment, not on a command line that every user of the host can read.
    environment = os.environ | {"PORTAL_RECEIVER_SECRET": secret}
    process = subprocess.Popen(command, env=environment, start_new_session=True)  # noqa: S603 (our own command)
    return _DemoReceiver(url, process)


def _server_class() -> type:
    # granian's server of processes: the portal runs with the GIL (granian's Granian names it).
    from granian.server.mp import MPServer

    from portal.app import STOP_SIGNAL

    class Server(MPServer):
        """granian, which first tells its server processes (STOP_SIGNAL) when it is asked to stop,
        so that their bulk uploads end at a batch boundary before the processes are stopped."""

        def signal_handler_interrupt(self, *args: object, **kwargs: object) -> None:
            # granian keeps its worker processes in ``wrks``, each a multiprocessing Process as
            # ``inner``: looked up defensively, so that another granian only skips the word.
            for worker in getattr(self, "wrks", ()):
                pid = getattr(getattr(worker, "inner", None), "pid", None)
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, STOP_SIGNAL)
            super().signal_handler_interrupt(*args, **kwargs)  # type: ignore[no-untyped-call]

    return Server


def _print_demo(demo: "DemoCredentials", base_url: str) -> None:
    click.echo(f"Demo operator:     operatorId {demo.operator_id}  apiKey {demo.operator_key}")
    click.echo(
        f"Try:               curl -H 'x-api-key: {demo.operator_key}' -H 'x-operator-id: {demo.operator_id}'"
        f" '{base_url}/drivers?limit=10'"
    )
    click.echo(f"Demo authority:    authorityId {demo.authority_id}  apiKey {demo.authority_key}  (France)")
    click.echo(
        f"Try:               curl -H 'x-api-key: {demo.authority_key}' -H 'x-authority-id: {demo.authority_id}'"
        f" '{base_url}/authority/declarations?plate=wx-1234a&purpose=demo'"
    )


def _fresh_folder(folder: Path) -> Path:
    # Metrics files of a previous run would be added to this run's counts.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@main.command()
def worker() -> None:
    """Run the background worker (jobs and periodic housekeeping) until interrupted."""
    from portal.embedded import services_for
    from portal.mail.sink import relay_for
    from workers.main import run

    settings = environment_settings()
    with (
        services_for(settings.database.url, settings.redis.url, settings.data_dir) as (database_url, redis_url),
        relay_for(settings.mail.smtp_url, settings.mail_folder) as smtp_url,
    ):
        run(
            configuration.replace(
                settings, database={"url": database_url}, redis={"url": redis_url}, mail={"smtp_url": smtp_url}
            )
        )


@main.command("migrate")
def migrate_command() -> None:
    """Apply the database migrations that are not applied yet."""
    from portal.db import migrate
    from portal.embedded import services_for

    settings = environment_settings()
    with services_for(settings.database.url, "-", settings.data_dir) as (database_url, _):
        applied = asyncio.run(migrate(database_url))
    click.echo("applied: " + ", ".join(applied) if applied else "the database is up to date")


@main.group()
def keys() -> None:
    """The keys that sign the QR codes of printed declarations (published at /verify/keys)."""


@keys.command("rotate")
def rotate_key() -> None:
    """Make a new signing key current and print its kid; the one before is retired, and stays
    published so that the codes it signed stay verifiable."""
    from portal.commands import in_transaction
    from portal.signing.cose import b64url
    from portal.signing.service import Signer

    # The portal's secret encrypts the new private key: the same secret as the servers' (PORTAL_SECRET_KEY).
    signer = Signer.of(environment_settings())
    click.echo(b64url(in_transaction(signer.rotate)))


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="print the key set as GET /verify/keys answers it (for --keys)")
def list_keys(as_json: bool) -> None:
    """List the signing keys, newest first: kid, status, when made and retired."""
    import msgspec

    from portal.commands import on_database
    from portal.signing.service import published

    found = on_database(published)
    if as_json:
        click.echo(msgspec.json.encode(found))
        return
    if not found.keys:
        click.echo("no signing key yet: the first PDF rendered makes one (or `portal keys rotate`)")
    for key in found.keys:
        retired = f"  retired {key.retired_at:%Y-%m-%d %H:%M} UTC" if key.retired_at else ""
        click.echo(f"{key.kid}  {key.status:<7}  created {key.created_at:%Y-%m-%d %H:%M} UTC{retired}")


@main.command("verify-qr")
@click.argument("code", metavar="FILE_OR_TEXT")
@click.option("--offline", is_flag=True, help="no network: check against --keys only")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a saved answer of GET /verify/keys (or `portal keys list --json`)",
)
@click.option(
    "--portal",
    metavar="URL",
    help="the portal to ask for its keys and the code's page [default: the code's URL's origin]",
)
def verify_qr(code: str, offline: bool, keys_file: Path | None, portal: str | None) -> None:
    """Check the QR code of a printed declaration: a photo of it (PNG, JPEG), the PDF, or the
    scanned text. Says whether the portal signed it, what it vouches for, whether its period
    covers today and, online, what the portal's verification page says of it now.

    Exit status: 0 the signature is valid, 1 it is not (or the code is malformed), 2 the input
    or the keys could not be read.
    """
    from portal import clock
    from portal.signing import cose, inspection, scan

    if offline and keys_file is None:
        raise click.UsageError("--offline needs --keys FILE (a saved answer of GET /verify/keys)")
    try:
        text = scan.code_of(code)
    except scan.Unreadable as problem:
        click.echo(f"unreadable: {problem}", err=True)
        sys.exit(2)
    url, _ = cose.split_code(text)
    with inspection.client() as http:
        try:
            if keys_file is not None:
                known = inspection.keys_from_json(keys_file.read_bytes())
            elif portal or url:
                known = inspection.fetch_keys(http, portal or inspection.origin(url or ""))
            else:
                raise inspection.KeysUnavailable("the code has no URL to find its portal by: give --portal or --keys")
        except inspection.KeysUnavailable as problem:
            click.echo(f"keys unavailable: {problem}", err=True)
            sys.exit(2)
        result = inspection.check(text, known)
        for line in inspection.report(result, clock.today()):
            click.echo(line)
        if not offline and url:
            click.echo(f"Portal says:   {inspection.ask_page(http, inspection.on_portal(url, portal))}")
    sys.exit(0 if result.valid else 1)


from portal.admin import admin  # noqa: E402  (the admin group registers itself below)

main.add_command(admin)

from portal.bulk.cli import bulk  # noqa: E402

main.add_command(bulk)

from portal.receiver.command import receiver  # noqa: E402

main.add_command(receiver)
