"""``portal fleet``: synthetic fleets for bulk-filing demos, tests and benchmarks."""

import datetime
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from loadtests.synthetic.files import write
from loadtests.synthetic.generator import generate, invalid_count

# Below this many records the file is written before a progress bar would be worth reading.
_PROGRESS_FROM = 50_000
_PROGRESS_STEP = 10_000


@click.group()
def fleet() -> None:
    """Synthetic fleets: bulk-filing files of realistic drivers, vehicles and declarations."""


@fleet.command("generate")
@click.option("--drivers", type=click.IntRange(1), required=True, help="drivers in the fleet (about one vehicle each)")
@click.option(
    "--declarations",
    type=click.IntRange(0),
    required=True,
    help="records to write; record k is for driver k modulo --drivers",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="file to write: NDJSON if it ends in .ndjson, else one JSON array",
)
@click.option(
    "--invalid-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="share of records that break one rule each (0.02 = 2%), spread through the file",
)
@click.option("--seed", type=int, default=0, show_default=True, help="same seed, same fleet (on the same day)")
@click.option(
    "--country",
    default="PL",
    show_default=True,
    metavar="CC",
    help="the operator's establishment country (a posting country or IS): its plate formats and most of"
    " its drivers, never a host country",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="first day of the declaration periods, not before today  [default: tomorrow, UTC]",
)
def generate_command(
    drivers: int,
    declarations: int,
    out: Path,
    invalid_share: float,
    seed: int,
    country: str,
    start: datetime.datetime | None,
) -> None:
    """Write a bulk-filing file of synthetic declaration records.

    Each record is one flat JSON object: clientReference, submit, the driver's fields, the
    declaration's fields with its plates, and vehicleRegistrationCountry. Valid records pass
    every rule on the day they are generated (their periods start tomorrow at the earliest).
    The summary goes to stderr; nothing is printed on stdout.

    Example: portal fleet generate --drivers 50000 --declarations 1000000 --out fleet.ndjson
    --invalid-share 0.02
    """
    began = time.perf_counter()
    try:
        records = generate(
            drivers,
            declarations,
            invalid_share=invalid_share,
            seed=seed,
            operator_country=country.upper(),
            start=start.date() if start else None,
        )
    except ValueError as problem:
        raise click.UsageError(str(problem)) from None
    if declarations >= _PROGRESS_FROM:
        with click.progressbar(length=declarations, label="Generating", file=sys.stderr) as bar:
            written = write(out, _reporting(records, bar.update))
    else:
        written = write(out, records)
    seconds = time.perf_counter() - began
    size = out.stat().st_size
    click.echo(
        f"{written} records ({invalid_count(declarations, invalid_share)} invalid) written to {out}:"
        f" {size / 1_000_000:.1f} MB in {seconds:.1f} s",
        err=True,
    )


def _reporting(records: Iterable[dict[str, Any]], advance: Callable[[int], object]) -> Iterator[dict[str, Any]]:
    """Pass ``records`` through, advancing the progress bar every few thousand."""
    count = 0
    for record in records:
        yield record
        count += 1
        if count % _PROGRESS_STEP == 0:
            advance(_PROGRESS_STEP)
    advance(count % _PROGRESS_STEP)
