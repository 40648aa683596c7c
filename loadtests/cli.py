"""``portal bench`` and ``portal bench-lookups``: the benchmarks, as commands of the portal.

They need the ``bench`` extra (locust, psutil): ``pip install -e '.[bench]'``.
"""

import importlib.util

import click


def _require_bench_extra() -> None:
    missing = [name for name in ("locust", "psutil") if importlib.util.find_spec(name) is None]
    if missing:
        raise click.ClickException(
            f"the benchmarks need {', '.join(missing)}: install them with  pip install -e '.[bench]'"
        )


@click.command()
@click.option("--records", type=click.IntRange(1000), default=1_000_000, show_default=True, help="bulk records")
@click.option("--drivers", type=click.IntRange(1), default=50_000, show_default=True, help="drivers in the fleet")
@click.option("--users", type=click.IntRange(1), default=32, show_default=True, help="locust users")
@click.option("--seconds", type=click.IntRange(5), default=20, show_default=True, help="each single-request run")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="server processes")
def bench(records: int, drivers: int, users: int, seconds: int, workers: int) -> None:
    """Print the performance figures beside this machine's own limits, in one run.

    Bulk filing against a raw COPY of the same rows; create and submit against a minimal
    insert endpoint, both served and loaded alike. Uses DATABASE_URL/REDIS_URL (a fresh
    database is created and dropped) or embedded servers.
    """
    _require_bench_extra()
    from loadtests.bench import main as run_bench

    run_bench(records, drivers, users, seconds, workers)


@click.command("bench-pdf")
@click.option("--documents", type=click.IntRange(10), default=10_000, show_default=True, help="declarations to render")
@click.option("--naive", type=click.IntRange(2), default=30, show_default=True, help="documents rendered naively")
@click.option(
    "--processes", type=click.IntRange(1, 64), default=2, show_default=True, help="the worker's rendering processes"
)
@click.option("--timeout", type=click.FloatRange(10), default=3600, show_default=True, help="seconds the worker gets")
@click.option("--seconds", type=click.FloatRange(1), default=10, show_default=True, help="each API measurement")
def bench_pdf(documents: int, naive: int, processes: int, timeout: float, seconds: float) -> None:
    """Print the PDF figures: naive rendering against the worker's, in one run.

    Files DOCUMENTS submitted declarations through bulk, renders NAIVE of them with one
    weasyprint call each, then runs `portal worker` until every PDF is stored, and prints
    both rates and their ratio (target: the worker at least 4x naive), the peak RSS of the
    worker's process tree (target: under 600 MB) and the API's create p99 at 50/s before
    and while it renders. Uses DATABASE_URL/REDIS_URL (a fresh database) or embedded servers.
    """
    _require_bench_extra()
    from loadtests.pdf_bench import main as run_pdf_bench

    run_pdf_bench(documents, naive, processes, timeout, seconds)


@click.command("bench-lookups")
@click.option(
    "--declarations", type=click.IntRange(1000), default=20_000_000, show_default=True, help="declarations to load"
)
@click.option("--seconds", type=click.FloatRange(1), default=20, show_default=True, help="each measured phase")
@click.option("--rate", type=click.FloatRange(1), default=1000, show_default=True, help="the fixed offered rate, per s")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="server processes")
@click.option(
    "--concurrency", type=click.IntRange(1, 90), default=32, show_default=True, help="connections at saturation"
)
@click.option("--database", help="load into this database, or reuse it as loaded before; it is kept")
@click.option("--keep", is_flag=True, help="keep the benchmark database (it is dropped by default: it is large)")
def bench_lookups(
    declarations: int, seconds: float, rate: float, workers: int, concurrency: int, database: str | None, keep: bool
) -> None:
    """Print roadside plate look-up figures on a year of declarations, beside their limits.

    Loads DECLARATIONS by COPY (fewer if the disk cannot hold them, said so), then prints one
    table: load time, database size, the bare indexed SELECT by plate through asyncpg and
    GET /authority/declarations?plate= with its audit write (rate, p50, p99 at saturation and
    at the fixed offered rate), the same while a bulk upload files, and the client's own
    ceiling; each figure beside its target (p99 < 10 ms at 1,000/s, >= 50% of the bare
    saturation rate) and the ratio. Uses DATABASE_URL/REDIS_URL or embedded servers.
    """
    _require_bench_extra()
    from loadtests.lookups import main as run_lookups

    run_lookups(declarations, seconds, rate, workers, concurrency, database, keep)
