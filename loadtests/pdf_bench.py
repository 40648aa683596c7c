"""``portal bench-pdf``: declaration PDFs, naive against the worker, in one run.

Naive: each page made into HTML (its QR code too) and laid out by weasyprint in a call of its
own, as a first implementation would (the stylesheet parsed and the fonts loaded for every
page), in a warm process. Worker: N declarations filed
through bulk, then ``portal worker`` drains them into PDF deliveries and renders them in its
pool of processes; its rate is read from the delivery states (first created to last done).
The peak RSS of the worker's whole process tree is sampled throughout, and the API's create
p99 is measured at a fixed offered rate before the worker starts and while it renders.
"""

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid

import asyncpg
import psutil

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
from loadtests.synthetic.generator import generate
from portal import db as database
from portal import settings as configuration
from portal.documents import render, service
from portal.documents.content import Page
from portal.documents.repository import DocumentKey
from portal.settings import Settings, read_settings
from portal.signing.service import Signer

TARGET_RATIO = 4.0
TARGET_RSS_MB = 600
# The create load offered while the worker renders: a steady trickle of single requests.
API_RATE = 50.0


def naive_pdf(document: str) -> bytes:
    """One document, one call: the stylesheet parsed and the fonts loaded again."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    _, fetcher, _ = render._weasyprint()  # only its packaged-assets fetcher
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(
        url=render.ASSET_BASE + render.STYLESHEET, base_url=render.ASSET_BASE, url_fetcher=fetcher, font_config=fonts
    )
    html = weasyprint.HTML(string=document, base_url=render.ASSET_BASE, url_fetcher=fetcher)
    pdf: bytes = html.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return pdf


async def _pages(url: str, count: int, settings: Settings) -> list[Page]:
    """What ``count`` filed declarations' pages say, as the worker would print them."""
    pool = await database.create_pool(url, min_size=1, max_size=2)
    signer = Signer.of(settings)
    try:
        rows = await pool.fetch("SELECT id, version FROM declarations ORDER BY id LIMIT $1", count)
        async with database.transaction(pool) as db:
            pages = [
                await service.page_of(db, DocumentKey(row[0], row[1], "en"), settings.base_url, signer) for row in rows
            ]
    finally:
        await pool.close()
    return [page for page in pages if page is not None]


def _naive_rate(pages: list[Page]) -> float:
    """Page after page, each made into HTML (its QR code too) and laid out by a call of its own."""
    naive_pdf(render.html(pages[0]))  # imported and warm: the naive rate is not start-up
    started = time.perf_counter()
    for page in pages:
        naive_pdf(render.html(page))
    return len(pages) / (time.perf_counter() - started)


async def _delivered(url: str) -> tuple[int, float]:
    """(PDF deliveries done, seconds from the first made to the last done)."""
    db = await asyncpg.connect(url)
    try:
        row = await db.fetchrow(
            """
            SELECT count(*) FILTER (WHERE state = 'DONE'),
                   coalesce(extract(epoch FROM max(done_at) - min(created_at)), 0)
            FROM deliveries WHERE kind = 'PDF'
            """
        )
    finally:
        await db.close()
    assert row is not None
    return int(row[0]), float(row[1])


def main(documents: int, naive: int, processes: int, timeout: float, seconds: float) -> None:
    name = f"portal_bench_pdf_{uuid.uuid4().hex[:8]}"
    with bench_servers() as (folder, server_url, redis_url):
        url, operator_id, api_key = asyncio.run(prepare_database(server_url, name))
        headers = {"x-operator-id": str(operator_id), "x-api-key": api_key}
        env = os.environ | {
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "PORTAL_DATA_DIR": str(folder),
            "PORTAL_DOCUMENTS_RENDER_PROCESSES": str(processes),
        }
        records_file = folder / "fleet.ndjson"
        write(records_file, generate(max(documents // 4, 1), documents))
        port = free_port()
        serve = [sys.executable, "-m", "portal", "serve", "--no-worker", "--workers", "1", "--port", str(port)]
        with served(serve, env, port, "/ping") as portal:
            print(f"filing {documents:,} declarations through POST /declarations/bulk ...", file=sys.stderr)
            summary, _, _ = post_bulk(port, records_file, headers, portal)
            base_url = f"http://127.0.0.1:{port}"
            print(f"naive: {naive} documents, one weasyprint call each ...", file=sys.stderr)
            # The worker's own settings: the same secret (in the data folder), so the same signing key.
            page_settings = configuration.replace(read_settings(env), http={"public_url": base_url})
            naive_rate = _naive_rate(asyncio.run(_pages(url, naive, page_settings)))
            creates = create_requests(port, headers)
            print(f"API create p99 at {API_RATE:.0f}/s, worker idle ...", file=sys.stderr)
            idle = asyncio.run(offered(port, creates, API_RATE, seconds, 201))
            print(f"worker: rendering {summary['accepted']:,} PDFs with {processes} processes ...", file=sys.stderr)
            started = time.perf_counter()
            worker = subprocess.Popen(
                [sys.executable, "-m", "portal", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stop, peak = threading.Event(), [0]
            sampler = threading.Thread(target=peak_rss, args=(psutil.Process(worker.pid), stop, peak), daemon=True)
            sampler.start()
            try:
                time.sleep(5)  # the drain has made the deliveries and the pool is busy
                busy = asyncio.run(offered(port, creates, API_RATE, seconds, 201))
                done, span = asyncio.run(_delivered(url))
                while done < summary["accepted"] and time.perf_counter() - started < timeout:
                    time.sleep(2)
                    done, span = asyncio.run(_delivered(url))
                    print(f"\r  {done:,} / {summary['accepted']:,} PDFs", end="", file=sys.stderr)
                print(file=sys.stderr)
            finally:
                stop.set()
                sampler.join()
                worker.terminate()
                worker.wait(60)
        asyncio.run(drop_database(server_url, name))
    _report(naive_rate, done, span, summary["accepted"], peak[0], processes, idle, busy)


def _report(
    naive_rate: float, done: int, span: float, asked: int, peak: int, processes: int, idle: Measured, busy: Measured
) -> None:
    worker_rate = done / span if span else 0.0
    ratio = f"{worker_rate / naive_rate:.1f}x" if naive_rate else ""
    api, times = f"API create at {API_RATE:.0f}/s", f">= {TARGET_RATIO:.0f}x"
    print(f"\nportal bench-pdf: {os.cpu_count()} cores, {processes} rendering processes, {asked:,} documents")
    rows = [
        ("naive: one weasyprint call per document (PDFs/s)", f"{naive_rate:,.1f}", "", ""),
        ("worker: submitted -> stored, from delivery states (PDFs/s)", f"{worker_rate:,.1f}", ratio, times),
        ("worker: PDFs stored / asked", f"{done:,} / {asked:,}", "", "all"),
        ("worker: peak RSS of the whole process tree (MB)", f"{peak / 2**20:,.0f}", "", f"< {TARGET_RSS_MB} MB"),
        (f"{api}, worker idle: p99 (ms)", f"{idle.p99_ms:,.1f}", "", f"(p50 {idle.p50_ms:.1f})"),
        (f"{api}, worker rendering: p99 (ms)", f"{busy.p99_ms:,.1f}", "", f"unchanged (p50 {busy.p50_ms:.1f})"),
    ]  # fmt: skip
    print(f"{'figure':<62} {'value':>14} {'ratio':>7}  target")
    for label, value, share, target in rows:
        print(f"{label:<62} {value:>14} {share:>7}  {target}".rstrip())
