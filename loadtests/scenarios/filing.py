"""What fleet software does one declaration at a time; each function is a locust task of a user."""

import datetime
import random
import urllib.parse

from loadtests.scenarios.common import HasFleet

PAGE_SIZE = 50
# A new posting covers two days; an update extends it to the last day of its window (see slots()).
POSTING_DAYS = 2
# Fleet users space postings to one country a week apart, so updates have room to extend.
WEEK = 7


def create_draft(user: HasFleet) -> str | None:
    """Create a draft for the next free slot; return its id (None if refused)."""
    fleet = user.fleet
    slot = next(fleet.slots)
    end = slot.start + datetime.timedelta(days=min(POSTING_DAYS, fleet.window_days) - 1)
    response = fleet.client.post(
        "/declarations",
        name="/declarations",
        headers=fleet.headers,
        json={
            "driverId": fleet.driver_id,
            "declarationPostingCountry": slot.country,
            "declarationStartDate": slot.start.isoformat(),
            "declarationEndDate": end.isoformat(),
            "declarationOperationType": ["INTERNATIONAL_CARRIAGE"],
            "declarationTransportType": ["CARRIAGE_OF_GOODS"],
            "declarationVehiclePlateNumberHeavy": [fleet.plate],
            "otherContactAsTransportManager": True,
        },
    )
    if response.status_code != 201:
        return None
    declaration_id: str = response.json()["declarationId"]
    fleet.seen.append(declaration_id)
    fleet.drafts[declaration_id] = slot.start
    return declaration_id


def submit(user: HasFleet, declaration_id: str) -> None:
    fleet = user.fleet
    submitted = fleet.client.post(
        f"/declarations/{declaration_id}/submit", name="/declarations/{id}/submit", headers=fleet.headers
    )
    start = fleet.drafts.pop(declaration_id, None)
    if submitted.status_code == 200 and start is not None:
        fleet.submitted.append((declaration_id, start))


def file_and_submit(user: HasFleet) -> None:
    """Create a draft for the next free slot and submit it."""
    if (declaration_id := create_draft(user)) is not None:
        submit(user, declaration_id)


def create_only(user: HasFleet) -> None:
    """Create a draft, and nothing else: the create rate alone."""
    if create_draft(user) is not None:
        user.fleet.drafts.clear()  # never submitted: nothing to remember


def list_declarations(user: HasFleet) -> None:
    """The first page, then a page or two more while there are more."""
    fleet = user.fleet
    query = {"limit": str(PAGE_SIZE)}
    for page in range(1 + random.randint(1, 2)):
        response = fleet.client.get(
            f"/declarations?{urllib.parse.urlencode(query)}",
            name=f"/declarations?limit={PAGE_SIZE}" + ("&startKey={key}" if page else ""),
            headers=fleet.headers,
        )
        if response.status_code != 200:
            return
        body = response.json()
        fleet.seen.extend(item["declarationId"] for item in body["items"])
        if not body["lastEvaluatedKey"]:
            return
        query["startKey"] = body["lastEvaluatedKey"]


def read_one(user: HasFleet) -> None:
    fleet = user.fleet
    if not fleet.seen:
        file_and_submit(user)  # a user's first task may be a read: give it something to read
        if not fleet.seen:
            return
    declaration_id = random.choice(fleet.seen)
    fleet.client.get(f"/declarations/{declaration_id}", name="/declarations/{id}", headers=fleet.headers)


def update_submitted(user: HasFleet) -> None:
    """Extend the oldest submitted, never updated declaration to the end of its window."""
    fleet = user.fleet
    if not fleet.submitted:
        file_and_submit(user)
        if not fleet.submitted:
            return
    declaration_id, start = fleet.submitted.popleft()
    # The window ends a day before the next posting of this driver to the same country.
    end = (start + datetime.timedelta(days=fleet.window_days - 1)).isoformat()
    with fleet.client.put(
        f"/declarations/{declaration_id}/submit",
        name="/declarations/{id}/submit",
        headers=fleet.headers,
        json={"declarationEndDate": end},
        catch_response=True,
    ) as response:
        if response.status_code != 200:
            return  # locust reports it as it does any error status
        answer = response.json()
        got = (answer["declarationStatus"], answer["declarationEndDate"])
        if got != ("SUBMITTED", end):
            response.failure(f"expected SUBMITTED until {end}, got {got[0]} until {got[1]}")
            return
        response.success()
    fleet.updated.append(declaration_id)


def withdraw(user: HasFleet) -> None:
    """Withdraw an updated declaration, or a submitted one when none was updated yet."""
    fleet = user.fleet
    if not (fleet.updated or fleet.submitted):
        file_and_submit(user)
        if not fleet.submitted:
            return
    declaration_id = fleet.updated.popleft() if fleet.updated else fleet.submitted.popleft()[0]
    with fleet.client.post(
        f"/declarations/{declaration_id}/withdraw",
        name="/declarations/{id}/withdraw",
        headers=fleet.headers,
        catch_response=True,
    ) as response:
        if response.status_code == 200 and response.json()["declarationStatus"] != "WITHDRAWN":
            response.failure(f"expected WITHDRAWN, got {response.json()['declarationStatus']}")


def list_drivers(user: HasFleet) -> None:
    fleet = user.fleet
    fleet.client.get(f"/drivers?limit={PAGE_SIZE}", name=f"/drivers?limit={PAGE_SIZE}", headers=fleet.headers)
