"""The phases of ``portal bench-forwarding``, one after the other, on a database of their own.

1. File the fleet (N declarations to France) and the drafts for the submit requests through
   bulk, with the endpoint of a French authority registered first, pointing at a receiver.
2. The receiver alone: fresh receivers posted signed batches by one sender, then by several.
3. The API's create and submit p99 at a fixed offered rate while no worker runs.
4. ``portal worker`` started: the backlog is drained to the receiver, the API measured again
   as soon as the first batch is stored, the CPU of every process taken when the last is.
"""

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
import psutil

from loadtests.forwarding_load import (
    Batches,
    ReceiverProcess,
    Taken,
    cpu_seconds,
    draft_ids,
    draft_records,
    fleet_records,
    new_authority,
    offered_once,
    postgres_cpu_seconds,
    private_redis,
    receiver_process,
    receiver_rate,
    register_endpoint,
    submit_requests,
    template_events,
)
from loadtests.forwarding_options import Options
from loadtests.harness import (
    bench_servers,
    create_requests,
    drop_database,
    free_port,
    offered,
    peak_rss,
    post_bulk,
    prepare_database,
    served,
)
from loadtests.open_loop import Measured
from loadtests.synthetic.files import write
from portal.forwarding import service
from portal.forwarding.signature import new_secret
from schemas.forwarding import Endpoint

DATABASE_PREFIX = "portal_bench_forwarding_"


class Api(NamedTuple):
    create: Measured
    submit: Measured
    # Events the receiver stored while they were measured (None: no worker ran).
    delivered_meanwhile: int | None


class Drained(NamedTuple):
    stored: int
    # Seconds from the worker's start to the first batch stored, and to the last (None: not in time).
    first: float | None
    done: float | None

    @property
    def rate(self) -> float:
        """Events a second from the first batch stored to the last: forwarding's steady rate."""
        if self.first is None or self.done is None or self.done <= self.first:
            return 0.0
        return self.stored / (self.done - self.first)


class Cpu(NamedTuple):
    """Core-seconds spent during the drain, by whom, and the machine's whole busy and I/O-wait time."""

    worker: float
    renderers: float
    receiver: float
    postgres: float
    portal: float
    machine_busy: float
    machine_iowait: float
    seconds: float


@dataclasses.dataclass(frozen=True)
class Figures:
    options: Options
    filing_seconds: float
    alone: Taken
    alone_many: Taken
    idle: Api
    busy: Api
    # Measured once the backlog is drained, the worker still rendering PDFs: forwarding's share
    # of what the API lost while it drained, apart from rendering's.
    after: Api
    drained: Drained
    stats: dict[str, Any]
    endpoint: Endpoint | None
    # PDFs rendered, of those planned, when the backlog was drained.
    pdfs: tuple[int, int]
    peak_rss: int
    cpu: Cpu


def run(options: Options) -> Figures:
    """Every phase, on a fresh database dropped after (also when a phase fails)."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:8]}"
    with bench_servers() as (folder, server_url, shared_redis), private_redis(shared_redis) as redis_url:
        try:
            return _phases(options, folder, server_url, name, redis_url)
        finally:
            asyncio.run(drop_database(server_url, name))


def _phases(options: Options, folder: Path, server_url: str, name: str, redis_url: str) -> Figures:
    url, operator_id, api_key = asyncio.run(prepare_database(server_url, name))
    headers = {"x-operator-id": str(operator_id), "x-api-key": api_key}
    env = os.environ | {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "PORTAL_DATA_DIR": str(folder),
        # The receivers listen on 127.0.0.1 over http: allowed here only.
        "PORTAL_FORWARDING_ALLOW_HTTP": "true",
        "PORTAL_FORWARDING_ALLOW_PRIVATE": "true",
        "PORTAL_FORWARDING_BATCH_SIZE": str(options.batch_size),
    }
    write(folder / "fleet.ndjson", fleet_records(options.events, options.drivers))
    write(folder / "drafts.ndjson", draft_records(_drafts(options), options.drivers))
    port = free_port()
    serve = [sys.executable, "-m", "portal", "serve", "--no-worker", "--workers", "1", "--port", str(port)]
    with (
        served(serve, env, port, "/ping") as portal,
        receiver_process(folder, "drained", new_secret()) as receiver,
    ):
        # Registered before the fleet is filed, as an authority's endpoint is, then told its secret.
        receiver.accept(register_endpoint(port, asyncio.run(new_authority(url)), receiver.url))
        filing_seconds = _file(port, folder, headers, portal, options)
        alone, alone_many = _receiver_alone(url, folder, options)
        creates = create_requests(port, headers)
        # A draft is submitted once: each measurement of submit has drafts of its own.
        submits = submit_requests(asyncio.run(draft_ids(url)), headers)
        third = len(submits) // 3
        idle_submits, later_submits = submits[:third], (submits[third : 2 * third], submits[2 * third :])
        _phase("API create and submit, no worker running")
        idle = Api(*_api(port, creates, idle_submits, options), None)
        drain = _Drain(env, receiver, psutil.Process(portal.pid), options)
        busy, after, drained, cpu, peak = drain.run(lambda part: _api(port, creates, later_submits[part], options))
        endpoint, pdfs = asyncio.run(_standing(url))
        stats = receiver.stats()
        return Figures(
            options, filing_seconds, alone, alone_many, idle, busy, after, drained, stats, endpoint, pdfs, peak, cpu
        )


def _drafts(options: Options) -> int:
    """Each of the three measurements of submit takes rate x seconds drafts, each submitted once."""
    return 3 * int(options.rate * options.seconds)


def _phase(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what} ...", file=sys.stderr, flush=True)


def _file(
    port: int, folder: Path, headers: dict[str, str], portal: "subprocess.Popen[bytes]", options: Options
) -> float:
    """File the fleet, then the drafts; the fleet's seconds. Every record must be accepted."""
    _phase(f"filing {options.events:,} declarations to France through POST /declarations/bulk")
    summary, seconds, _ = post_bulk(port, folder / "fleet.ndjson", headers, portal)
    drafts, _, _ = post_bulk(port, folder / "drafts.ndjson", headers, portal)
    print(f"  filed in {seconds:,.1f} s ({options.events / seconds:,.0f}/s)", file=sys.stderr)
    for filed, asked in ((summary, options.events), (drafts, _drafts(options))):
        if filed["accepted"] != asked:
            raise RuntimeError(f"bulk filing accepted {filed['accepted']:,} records of {asked:,}: {filed}")
    return seconds


def _receiver_alone(url: str, folder: Path, options: Options) -> tuple[Taken, Taken]:
    """The receiver's own rate on a fresh store: one sender, then ``options.senders`` at once."""
    batches = Batches(asyncio.run(template_events(url, options.batch_size)))
    events = min(options.receiver_events, options.events)
    figures = []
    for senders in (1, options.senders):
        _phase(f"receiver alone: {events:,} events in signed batches of {batches.size}, {senders} sender(s)")
        secret = new_secret()
        with receiver_process(folder, f"alone-{senders}", secret) as receiver:
            figures.append(receiver_rate(receiver, secret, batches, events, senders))
        print(f"  {figures[-1].rate:,.0f} events/s", file=sys.stderr)
    return figures[0], figures[1]


def _api(port: int, creates: list[bytes], submits: list[bytes], options: Options) -> tuple[Measured, Measured]:
    create = asyncio.run(offered(port, creates, options.rate, options.seconds, 201))
    submit = asyncio.run(offered_once(port, creates, submits, options.rate, options.seconds, 200))
    return create, submit


class _Progress:
    """The receiver's distinct stored events, polled in a thread of its own: when the first
    batch was stored and when the last one was."""

    def __init__(self, receiver: ReceiverProcess, target: int) -> None:
        self.receiver, self.target = receiver, target
        self.events = 0
        self.first: float | None = None
        self.done: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @contextlib.contextmanager
    def polling(self) -> Iterator["_Progress"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set() and self.done is None:
            with contextlib.suppress(httpx.HTTPError):
                self.events = self.receiver.stats()["events"]
            now = time.perf_counter()
            if self.events and self.first is None:
                self.first = now
            if self.events >= self.target:
                self.done = now
            self._stop.wait(0.2)


class _Drain:
    """``portal worker`` started on the backlog, measured until the receiver has it all."""

    def __init__(self, env: dict[str, str], receiver: ReceiverProcess, portal: psutil.Process, options: Options):
        self.env, self.receiver, self.portal, self.options = env, receiver, portal, options

    def run(self, measure: Callable[[int], tuple[Measured, Measured]]) -> tuple[Api, Api, Drained, Cpu, int]:
        """(API while it drains, API once drained, the drain, CPU spent draining, peak RSS); the
        API is measured with ``measure(0)`` and ``measure(1)``."""
        _phase(f"worker: draining {self.options.events:,} events to the receiver")
        before = self._cpu(None)
        # A session of its own: its renderers are stopped with it, whatever becomes of it.
        worker = subprocess.Popen(
            [sys.executable, "-m", "portal", "worker"],
            env=self.env | dict(self.options.worker_env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started = time.perf_counter()
        deadline = started + self.options.timeout
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=peak_rss, args=(psutil.Process(worker.pid), stop, peak), daemon=True)
        sampler.start()
        progress = _Progress(self.receiver, self.options.events)
        try:
            with progress.polling():
                self._wait(worker, progress, lambda: progress.first is not None, deadline)
                at_start = progress.events
                _phase("API create and submit while the worker drains")
                busy = Api(*measure(0), progress.events - at_start)
                self._wait(worker, progress, lambda: progress.done is not None, deadline)
                cpu = self._cpu(psutil.Process(worker.pid))
                _phase("API create and submit, the backlog drained, the worker rendering")
                after = Api(*measure(1), None)
        finally:
            stop.set()
            sampler.join()
            _stop(worker)
        moments = [None if at is None else at - started for at in (progress.first, progress.done)]
        return busy, after, Drained(progress.events, *moments), _spent(before, cpu), peak[0]

    def _wait(
        self, worker: "subprocess.Popen[bytes]", progress: _Progress, until: Callable[[], bool], deadline: float
    ) -> None:
        shown = 0.0
        while not until() and time.perf_counter() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker stopped (exit code {worker.returncode})")
            if time.perf_counter() - shown >= 10:
                shown = time.perf_counter()
                print(f"  {progress.events:,} / {self.options.events:,} events stored", file=sys.stderr, flush=True)
            time.sleep(0.2)

    def _cpu(self, worker: psutil.Process | None) -> Cpu:
        own, children = cpu_seconds(worker) if worker is not None else (0.0, 0.0)
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - machine.iowait
        return Cpu(
            own,
            children,
            sum(cpu_seconds(self.receiver.process)),
            postgres_cpu_seconds(),
            sum(cpu_seconds(self.portal)),
            busy,
            machine.iowait,
            time.perf_counter(),
        )


def _spent(before: Cpu, after: Cpu) -> Cpu:
    return Cpu(*(later - earlier for earlier, later in zip(before, after, strict=True)))


def _stop(worker: "subprocess.Popen[bytes]") -> None:
    """Stop the worker as a deploy does (SIGTERM), then whatever is left of its session."""
    worker.terminate()
    try:
        worker.wait(60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(worker.pid, signal.SIGKILL)


async def _standing(url: str) -> tuple[Endpoint | None, tuple[int, int]]:
    """The endpoint as ``portal admin endpoints`` shows it, and the PDFs rendered of those planned."""
    db = await asyncpg.connect(url)
    try:
        endpoints = (await service.listed(db, None)).items
        pdfs = await db.fetchrow(
            "SELECT count(*) FILTER (WHERE state = 'DONE'), count(*) FROM deliveries WHERE kind = 'PDF'"
        )
    finally:
        await db.close()
    assert pdfs is not None
    return (endpoints[0] if endpoints else None), (int(pdfs[0]), int(pdfs[1]))
