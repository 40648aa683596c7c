"""``portal bench-forwarding``: forwarding a backlog to an authority's endpoint, beside the
receiver's own limit, in one run.

Receiver alone: the reference receiver (``portal receiver``, its SQLite store on disk) is posted
signed batches of the size and shape the portal sends, one after another on one keep-alive
connection as an endpoint's one job posts them, then by several senders at once: the most this
machine's receiver takes, the yardstick of the portal's rate. Backlog: N declarations to France
are filed through bulk while no worker runs, with one endpoint of a French authority registered
before, pointing at a fresh receiver; then ``portal worker`` starts, and the time until the
receiver has stored N distinct events is the drain's, printed as a rate and as a ratio to the
receiver alone, with the receiver's conflicts and versions out of order (none may be). API:
create and submit p99 at a fixed offered rate, before the worker starts, while it drains, and
once it has drained (the worker still rendering PDFs: rendering's share apart from forwarding's).
The worker renders every version's PDF meanwhile, as in production: the CPU of each process
during the drain is printed, so that what held forwarding back shows.

This module is imported by ``portal --help`` (it lists every command): it imports nothing of
the ``bench`` extra; the run itself is in ``loadtests.forwarding_run``.
"""

import importlib.util
import math
import os
from typing import TYPE_CHECKING

import click

from loadtests.forwarding_options import YEAR_DAYS, Options
from portal.settings import Forwarding

if TYPE_CHECKING:
    from loadtests.forwarding_run import Api, Figures

TARGET_RATE = 5_000
# A backlog of a million drained within five minutes; smaller ones in proportion.
TARGET_SECONDS_PER_MILLION = 300
TARGET_P99_MS = 100


@click.command("bench-forwarding")
@click.option("--events", type=click.IntRange(100), default=1_000_000, show_default=True, help="declarations filed")
@click.option("--drivers", type=click.IntRange(1), help="drivers of the fleet  [default: events / 4]")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 5000),
    default=Forwarding().batch_size,
    show_default=True,
    help="events per POST (PORTAL_FORWARDING_BATCH_SIZE)",
)
@click.option(
    "--senders", type=click.IntRange(2, 16), default=3, show_default=True, help="senders at once, receiver alone"
)
@click.option(
    "--receiver-events",
    type=click.IntRange(100),
    default=200_000,
    show_default=True,
    help="events of each receiver-alone figure (at most --events)",
)
@click.option("--rate", type=click.FloatRange(1), default=50, show_default=True, help="API requests offered a second")
@click.option("--seconds", type=click.FloatRange(1), default=10, show_default=True, help="each API measurement")
@click.option("--timeout", type=click.FloatRange(10), default=1800, show_default=True, help="seconds the drain gets")
@click.option(
    "--worker-env",
    "worker_env",
    multiple=True,
    metavar="PORTAL_NAME=VALUE",
    help="a setting of the worker alone (repeatable), e.g. PORTAL_DELIVERY_QUEUED_MAX=8",
)
def bench_forwarding(
    events: int,
    drivers: int | None,
    batch_size: int,
    senders: int,
    receiver_events: int,
    rate: float,
    seconds: float,
    timeout: float,
    worker_env: tuple[str, ...],
) -> None:
    """Print the forwarding figures beside the receiver's own limit, in one run.

    Posts signed batches to a fresh `portal receiver` alone (1 sender, then SENDERS at once),
    files EVENTS declarations to France through bulk with an endpoint registered, then runs
    `portal worker` until the receiver has stored them all, and prints events/s delivered
    (target: 5,000/s), the time the backlog took (target: 1,000,000 in under 300 s), the ratio
    to the receiver alone, the receiver's conflicts and out-of-order versions (0), the CPU of
    each process, the worker's peak RSS, and the API's create and submit p99 at RATE/s before
    and while it drains (target: under 100 ms). Uses DATABASE_URL/REDIS_URL (a fresh database
    and an empty Redis database, both emptied after) or embedded servers.
    """
    if importlib.util.find_spec("psutil") is None:
        raise click.ClickException("the benchmarks need psutil: install them with  pip install -e '.[bench]'")
    drivers = drivers or max(events // 4, 1)
    if math.ceil(events / drivers) > YEAR_DAYS:
        raise click.BadParameter(f"at most {YEAR_DAYS} declarations per driver: give --drivers", param_hint="--drivers")
    settings = tuple(_setting(text) for text in worker_env)
    from loadtests.forwarding_run import run

    _report(run(Options(events, drivers, batch_size, senders, receiver_events, rate, seconds, timeout, settings)))


def _setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.startswith("PORTAL_"):
        raise click.BadParameter(f"{text!r} is not PORTAL_NAME=VALUE", param_hint="--worker-env")
    return name, value


def _verdict(ok: bool, target: str) -> str:
    return f"{'✓' if ok else '✗'} {target}"


def _per_second(value: float) -> str:
    return f"{value:,.0f}"


def _rows(figures: "Figures") -> list[tuple[str, str, str, str]]:
    """(figure, value, ratio, target) of every row, in the table's order."""
    options, alone, many, drained, stats = (
        figures.options,
        figures.alone,
        figures.alone_many,
        figures.drained,
        figures.stats,
    )
    target_seconds = TARGET_SECONDS_PER_MILLION * options.events / 1_000_000
    done = drained.done
    ratio = f"{drained.rate / alone.rate:.2f}x" if alone.rate else ""
    endpoint = figures.endpoint
    backlog, streak = (endpoint.backlog, endpoint.failure_streak) if endpoint else (-1, -1)
    rendered, planned = figures.pdfs
    return [
        (
            "receiver alone: 1 sender, one keep-alive connection (ev/s)",
            _per_second(alone.rate),
            "1.00x",
            f"({alone.events:,} events in {alone.seconds:,.1f} s, fresh store)",
        ),
        (
            f"receiver alone: {options.senders} senders at once (ev/s)",
            _per_second(many.rate),
            f"{many.rate / alone.rate:.2f}x" if alone.rate else "",
            f"({many.events:,} events in {many.seconds:,.1f} s, fresh store)",
        ),
        (
            "worker: delivered, first batch -> last stored (ev/s)",
            _per_second(drained.rate),
            ratio,
            _verdict(drained.rate >= TARGET_RATE, f">= {TARGET_RATE:,}/s"),
        ),
        (
            "worker: backlog drained, worker start -> last stored (s)",
            f"{done:,.1f}" if done is not None else f"> {options.timeout:,.0f}",
            "",
            _verdict(done is not None and done < target_seconds, f"< {target_seconds:,.1f} s (300 s per 1,000,000)"),
        ),
        (
            "worker: first batch stored, after the worker's start (s)",
            f"{drained.first:,.1f}" if drained.first is not None else "never",
            "",
            "(its start, its first drain step and its first lease)",
        ),
        (
            "worker: distinct events stored / filed",
            f"{stats['events']:,} / {options.events:,}",
            "",
            _verdict(stats["events"] == options.events, "all"),
        ),
        (
            "receiver: conflicts, out of order",
            f"{stats['conflicts']}, {stats['outOfOrder']}",
            "",
            _verdict(stats["conflicts"] == 0 and stats["outOfOrder"] == 0, "0, 0"),
        ),
        (
            "receiver: duplicates, replayed batches, rejected",
            f"{stats['duplicates']}, {stats['replayedBatches']}, {sum(stats['rejected'].values())}",
            "",
            "(at least once: a retry may repeat a batch)",
        ),
        (
            "endpoint: backlog left, failures in a row",
            f"{backlog:,}, {streak}",
            "",
            _verdict(backlog == 0 and streak == 0, "0, 0")
            + (f" (last error: {endpoint.last_error})" if endpoint and endpoint.last_error else ""),
        ),
        (
            "worker: PDFs rendered / planned, when drained",
            f"{rendered:,} / {planned:,}",
            "",
            "(rendered beside forwarding, at nice 10)",
        ),
        ("worker: peak RSS of the whole process tree (MB)", f"{figures.peak_rss / 2**20:,.0f}", "", ""),
        *_cpu_rows(figures),
        *_api_rows(options, "idle", figures.idle, judged=False),
        *_api_rows(options, "draining", figures.busy, judged=True),
        *_api_rows(
            options, "rendering, drained", figures.after, judged=True, note="" if done else ", the backlog NOT drained"
        ),
    ]


def _cpu_rows(figures: "Figures") -> list[tuple[str, str, str, str]]:
    cpu = figures.cpu
    cores = os.cpu_count() or 1
    return [
        (
            "CPU while draining: worker / its renderers (core-s)",
            f"{cpu.worker:,.0f} / {cpu.renderers:,.0f}",
            "",
            f"(machine busy {cpu.machine_busy:,.0f} of {cores * cpu.seconds:,.0f} core-s,"
            f" I/O wait {cpu.machine_iowait:,.0f})",
        ),
        (
            "CPU while draining: receiver / PostgreSQL / portal (core-s)",
            f"{cpu.receiver:,.0f} / {cpu.postgres:,.0f} / {cpu.portal:,.0f}",
            "",
            "(PostgreSQL: all of the machine's)",
        ),
    ]


def _api_rows(
    options: Options, state: str, api: "Api", judged: bool, note: str = ""
) -> list[tuple[str, str, str, str]]:
    """Create and submit p99, judged against the target while the worker runs (idle is the reference)."""
    rows = []
    meanwhile = "" if api.delivered_meanwhile is None else f", {api.delivered_meanwhile:,} events stored meanwhile"
    meanwhile += note
    for kind, measured in (("create", api.create), ("submit", api.submit)):
        failed = f", {measured.failed:,} failed" if measured.failed else ""
        detail = f"(p50 {measured.p50_ms:.1f}{failed}{meanwhile})"
        ok = measured.p99_ms < TARGET_P99_MS and not measured.failed
        target = _verdict(ok, f"< {TARGET_P99_MS} ms {detail}") if judged else detail
        label = f"API {kind} at {options.rate:.0f}/s, worker {state}: p99 (ms)"
        rows.append((label, f"{measured.p99_ms:,.1f}", "", target))
    return rows


def _report(figures: "Figures") -> None:
    options = figures.options
    print(
        f"\nportal bench-forwarding: {os.cpu_count()} cores, {options.events:,} events to one endpoint"
        f" in batches of {options.batch_size}, filed through bulk in {figures.filing_seconds:,.0f} s"
    )
    if options.worker_env:
        print("worker settings: " + " ".join(f"{name}={value}" for name, value in options.worker_env))
    print(f"{'figure':<60} {'value':>16} {'ratio':>7}  target")
    for label, value, ratio, target in _rows(figures):
        print(f"{label:<60} {value:>16} {ratio:>7}  {target}".rstrip())
