"""The table ``portal bench-lookups`` prints: each figure beside its limit, ratio and target."""

import os
from typing import Any, NamedTuple

from loadtests.lookup_loader import Loaded
from loadtests.open_loop import Measured

P99_LIMIT_MS = 10.0
SHARE_TARGET = 0.5


class Figures(NamedTuple):
    select_one: Measured
    bare_saturated: Measured
    bare_offered: Measured
    bare_default_plans: Measured
    ping: Measured
    http_saturated: Measured
    http_offered: Measured
    http_filing: Measured
    filing: tuple[dict[str, Any], float]


def _row(label: str, value: str, limit: str = "", ratio: str = "", target: str = "") -> None:
    print(f"{label:58} {value:>14} {limit:>12} {ratio:>7}  {target}")


def _timed(label: str, measured: Measured, unit: str) -> None:
    failed = f", {measured.failed:,} failed" if measured.failed else ""
    _row(
        label,
        f"{measured.rate:,.0f} {unit}",
        "",
        "",
        f"p50 {measured.p50_ms:.1f} ms, p99 {measured.p99_ms:.1f} ms{failed}",
    )


def _p99(label: str, measured: Measured, rate: float) -> None:
    failed = f", {measured.failed:,} failed" if measured.failed else ""
    _row(
        label,
        f"{measured.p99_ms:,.1f} ms",
        f"{P99_LIMIT_MS:.0f} ms",
        f"{measured.p99_ms / P99_LIMIT_MS:.0%}",
        f"p99 < {P99_LIMIT_MS:.0f} ms at {rate:,.0f}/s: {'met' if measured.p99_ms < P99_LIMIT_MS else 'MISSED'}"
        f" (p50 {measured.p50_ms:.1f} ms, {measured.rate:,.0f}/s answered{failed})",
    )


def report(
    loaded: Loaded,
    size: int,
    plates: int,
    figures: Figures,
    rate: float,
    seconds: float,
    workers: int,
    concurrency: int,
    kept: str | None,
) -> None:
    f = figures
    print(
        f"\nportal bench-lookups: {os.cpu_count()} cores, {workers} server workers, {concurrency} connections"
        f" at saturation, {seconds:g} s a phase, {plates:,} plates looked up in their posting country"
    )
    _row("figure", "value", "limit", "ratio", "target")
    _row(
        "load: declarations",
        f"{loaded.declarations:,}",
        "20,000,000",
        f"{loaded.declarations / 20_000_000:.0%}",
        "a year of EU volume",
    )
    _row(
        "load: time", f"{loaded.seconds:,.0f} s", "", "", f"{loaded.declarations / loaded.seconds:,.0f} declarations/s"
    )
    _row(
        "load: database size",
        f"{size / 2**30:,.2f} GB",
        "",
        "",
        f"{size / max(loaded.declarations, 1):,.0f} bytes a declaration",
    )
    for note in loaded.notes:
        _row(f"load: {note}", "")
    _timed("client ceiling: asyncpg SELECT 1, saturation", f.select_one, "q/s")
    _timed("client ceiling: GET /ping, saturation", f.ping, "req/s")
    _timed("bare SELECT by plate (asyncpg), saturation", f.bare_saturated, "q/s")
    _p99(f"bare SELECT by plate at {rate:,.0f} q/s offered: p99", f.bare_offered, rate)
    _timed("bare SELECT, PostgreSQL's default planning, saturation", f.bare_default_plans, "q/s")
    _timed("GET /authority/declarations?plate=, saturation", f.http_saturated, "req/s")
    bare = f.bare_saturated.rate
    share = f.http_saturated.rate / bare
    _row(
        "HTTP look-up saturation rate vs the bare SELECT's",
        f"{f.http_saturated.rate:,.0f} req/s",
        f"{bare:,.0f}",
        f"{share:.0%}",
        f">= {SHARE_TARGET:.0%} of the bare saturation rate: {'met' if share >= SHARE_TARGET else 'MISSED'}"
        f" (client ceiling {f.http_saturated.rate / f.ping.rate:.0%} used)",
    )
    _p99(f"HTTP look-up at {rate:,.0f} req/s offered: p99", f.http_offered, rate)
    _p99(f"HTTP look-up at {rate:,.0f} req/s while filing: p99", f.http_filing, rate)
    summary, elapsed = f.filing
    if summary:
        _row(
            "filing meanwhile: POST /declarations/bulk",
            f"{summary['accepted'] / elapsed:,.0f} decl/s",
            "",
            "",
            f"{summary['accepted']:,} accepted, {summary['rejected']:,} refused in {elapsed:,.1f} s"
            f" (the look-ups ran {seconds:g} s from 1 s after it began)",
        )
    else:
        _row("filing meanwhile: POST /declarations/bulk", "unfinished", "", "", f"cut off after {elapsed:,.0f} s")
    if kept:
        print(f"database kept: {kept} (pass --database {kept} to measure it again without loading)")
