"""Bulk filing: an NDJSON upload of self-contained records, built in memory, submitted at once."""

import datetime
import os
from collections.abc import Iterator
from typing import Any, Protocol

import msgspec
from locust.contrib.fasthttp import FastHttpSession

from loadtests.scenarios.common import HOST_COUNTRIES, driver_fields, headers, today, token

# Records of a full upload (BulkUploader); MixedDay's occasional upload is a tenth of it.
RECORDS = int(os.environ.get("PORTAL_LOAD_BULK_RECORDS", "500"))
SMALL_RECORDS = max(1, RECORDS // 10)
# A few postings per driver, a week each, one after the other: never an overlap, whatever the
# country, so every record of a good upload must be accepted.
RECORDS_PER_DRIVER = 4
WEEK = 7
PLATES_PER_USER = 3
NDJSON = "application/x-ndjson"

_encode = msgspec.json.Encoder().encode


class BulkFiler:
    """One user's uploads: its own heavy lorries, named in the heavy list only (as registered)."""

    def __init__(self, client: FastHttpSession) -> None:
        self.client = client
        self.headers = headers()
        user = token()[:8]
        self.plates = [f"BU{user}{k}" for k in range(PLATES_PER_USER)]


class HasBulk(Protocol):
    bulk: BulkFiler


def records(count: int, plates: list[str]) -> Iterator[dict[str, Any]]:
    """``count`` records with fresh drivers, so that uploads never overlap what came before."""
    upload = token()[:8]
    first = today() + datetime.timedelta(days=1)
    for position in range(count):
        driver, nth = divmod(position, RECORDS_PER_DRIVER)
        start = first + datetime.timedelta(days=WEEK * nth)
        yield {
            "clientReference": f"{upload}-{position:07d}",
            **driver_fields(f"{upload}{driver:06d}"),
            "declarationPostingCountry": HOST_COUNTRIES[(driver + nth) % len(HOST_COUNTRIES)],
            "declarationStartDate": start.isoformat(),
            "declarationEndDate": (start + datetime.timedelta(days=WEEK - 1)).isoformat(),
            "declarationOperationType": ["INTERNATIONAL_CARRIAGE"],
            "declarationTransportType": ["CARRIAGE_OF_GOODS"],
            "declarationVehiclePlateNumberHeavy": [plates[position % len(plates)]],
            "otherContactAsTransportManager": True,
        }


def upload(bulk: BulkFiler, count: int, name: str) -> None:
    """POST ``count`` records with submit=true; anything but all of them accepted is a failure."""
    body = b"".join(_encode(record) + b"\n" for record in records(count, bulk.plates))
    with bulk.client.post(
        "/declarations/bulk?submit=true",
        name=name,
        data=body,  # type: ignore[arg-type]  # bytes are sent as they are; the stub says str
        headers=bulk.headers | {"content-type": NDJSON},
        catch_response=True,
    ) as response:
        if response.status_code != 202:
            response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
            return
        answer = response.json()
        if answer["accepted"] != count:
            response.failure(
                f"accepted {answer['accepted']} of {count} (rejected {answer['rejected']}, state "
                f"{answer['state']}: {answer['message']}); first refusal: {_first_refusal(bulk, answer)}"
            )
            return
        response.success()


def _first_refusal(bulk: BulkFiler, answer: dict[str, Any]) -> str:
    """The first refused record's errors, so that the failure says why."""
    results = bulk.client.get(answer["resultsUrl"], name="/bulk-uploads/{id}/results", headers=bulk.headers)
    for line in (results.text or "").splitlines():
        outcome = msgspec.json.decode(line)
        if outcome["errors"]:
            return f"record {outcome['position']}: {outcome['errors']}"
    return "none in the results"


def bulk_upload(user: HasBulk) -> None:
    upload(user.bulk, RECORDS, "/declarations/bulk")


def small_bulk_upload(user: HasBulk) -> None:
    # Its own name: a tenth of the records takes a fraction of the time, and would blur the timings.
    upload(user.bulk, SMALL_RECORDS, "/declarations/bulk (small)")
