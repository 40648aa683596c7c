"""``portal bulk FILE``: upload a JSON or NDJSON file of bulk records, with a progress bar."""

import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import msgspec

from schemas.bulk import BulkUpload

CHUNK_BYTES = 256 * 1024
_upload = msgspec.json.Decoder(BulkUpload)


def _chunks(path: Path, sent: list[int]) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            sent[0] += len(chunk)
            yield chunk


def _media_type(path: Path) -> str:
    with path.open("rb") as source:
        head = source.read(64).lstrip()
    return "application/json" if head.startswith(b"[") else "application/x-ndjson"


@click.command("bulk")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--submit", is_flag=True, help="submit the records that do not say (default: file them as drafts)")
@click.option("--url", envvar="PORTAL_URL", default="http://127.0.0.1:8000", show_default=True, help="the portal")
@click.option(
    "--operator-id", envvar="PORTAL_OPERATOR_ID", required=True, help="x-operator-id [env PORTAL_OPERATOR_ID]"
)
@click.option("--api-key", envvar="PORTAL_API_KEY", required=True, help="x-api-key [env PORTAL_API_KEY]")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="outcome file [default: FILE.results.ndjson]"
)
def bulk(file: Path, submit: bool, url: str, operator_id: str, api_key: str, out: Path | None) -> None:
    """Upload FILE (a JSON array or NDJSON of bulk records) to POST /declarations/bulk.

    Shows records filed, the rate and the refusals as they happen, then writes every record's
    outcome (declaration id, or each error with its field path) to the outcome file. Records
    already filed (same clientReference) are answered, never filed twice: an interrupted upload
    can simply be sent again.
    """
    headers = {"x-operator-id": operator_id, "x-api-key": api_key}
    upload_id = uuid.uuid4()
    size = file.stat().st_size
    sent = [0]
    answer: dict[str, Any] = {}

    def send() -> None:
        try:
            with httpx.Client(base_url=url, headers=headers, timeout=httpx.Timeout(30, read=None)) as client:
                response = client.post(
                    "/declarations/bulk",
                    params={"submit": str(submit).lower(), "uploadId": str(upload_id)},
                    content=_chunks(file, sent),
                    headers={"content-type": _media_type(file)},
                )
            answer["response"] = response
        except httpx.HTTPError as problem:
            answer["problem"] = problem

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    _watch(url, headers, upload_id, size, sent, sender)
    sender.join()
    if "problem" in answer:
        raise click.ClickException(
            f"the upload failed: {answer['problem']} (send the file again: nothing is filed twice)"
        )
    response: httpx.Response = answer["response"]
    if response.status_code != 202:
        raise click.ClickException(f"the portal refused the upload ({response.status_code}): {response.text}")
    summary = _upload.decode(response.content)
    target = out or file.with_name(file.name + ".results.ndjson")
    _save_results(url, headers, summary, target)
    click.echo(
        f"{summary.state}: {summary.received} records, {summary.accepted} filed ({summary.submitted} submitted),"
        f" {summary.rejected} refused, {summary.records_per_second:.0f} records/s; outcomes in {target}",
        err=True,
    )
    if summary.message:
        click.echo(summary.message, err=True)
    if summary.state != "DONE":
        raise SystemExit(1)


def _watch(
    url: str, headers: dict[str, str], upload_id: uuid.UUID, size: int, sent: list[int], sender: threading.Thread
) -> None:
    """Draw the bar from the bytes sent, with the portal's own counts beside it."""
    with (
        httpx.Client(base_url=url, headers=headers, timeout=5) as client,
        click.progressbar(length=size, label="uploading", file=sys.stderr, width=30) as bar,
    ):
        shown = 0
        while sender.is_alive():
            time.sleep(0.5)
            try:
                reply = client.get(f"/bulk-uploads/{upload_id}")
            except httpx.HTTPError:
                reply = None
            if reply is not None and reply.status_code == 200:
                now = _upload.decode(reply.content)
                bar.label = f"{now.received} records, {now.rejected} refused, {now.records_per_second:.0f}/s"
            bar.update(sent[0] - shown)
            shown = sent[0]
        bar.update(size - shown)


def _save_results(url: str, headers: dict[str, str], summary: BulkUpload, target: Path) -> None:
    with (
        httpx.Client(base_url=url, headers=headers, timeout=httpx.Timeout(30, read=None)) as client,
        client.stream("GET", summary.results_url) as response,
        target.open("wb") as sink,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            sink.write(chunk)
