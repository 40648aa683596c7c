"""What a batch is checked against before it is filed, and what it changes first: its drivers
matched (or created, or given a new version), its references and new plates, its overlaps (the
one SQL predicate of the rule). Each returns the refused records by position."""

import datetime
import uuid

from portal.bulk import repository, validate
from portal.bulk.validate import Filing
from portal.db import Transaction
from portal.declarations import driver_change, rules
from portal.ids import new_id
from portal.operators.drivers.storage import StoredDriver
from portal.refusals import refusal
from schemas.errors import FieldError

# The drivers a partition's batches matched so far: (licence, date of birth) -> id, version and
# details. Partitions never share a driver, and each batch holds the partition's filing lock.
KnownDrivers = dict[tuple[str, datetime.date], tuple[uuid.UUID, int, StoredDriver]]


async def drivers(db: Transaction, upload: validate.Upload, filings: list[Filing], known: KnownDrivers) -> None:
    """Match each record's driver on licence number and date of birth (once an upload), create
    the new ones and give the changed ones a new version (a driver's last record in the batch
    wins), whose declarations follow; fill in each declaration's driver."""
    stated: dict[tuple[str, datetime.date], StoredDriver] = {}
    for filing in filings:
        stated[(filing.driver.license_number, filing.driver.date_of_birth)] = filing.driver
    changed: list[tuple[uuid.UUID, StoredDriver]] = []
    # Twice at most: a driver someone else created meanwhile is matched the second time.
    for _ in range(2):
        unknown = [key for key in stated if key not in known]
        if unknown:
            rows = await repository.match_drivers(
                db, upload.operator_id, [licence for licence, _ in unknown], [born for _, born in unknown]
            )
            for row in rows:
                known[(row["license_number"], row["date_of_birth"])] = (
                    row["id"],
                    row["version"],
                    StoredDriver(*row[2:]),
                )
        new = {key: new_id() for key in stated if key not in known}
        if not new:
            break
        inserted = set(
            await repository.insert_drivers(
                db, upload.operator_id, list(new.values()), [stated[key] for key in new], upload.now
            )
        )
        known.update({key: (driver_id, 1, stated[key]) for key, driver_id in new.items() if driver_id in inserted})
        await repository.keep_driver_statistics(db, len(inserted))
        if len(inserted) == len(new):
            break
    for key, details in stated.items():
        if known[key][2] != details:
            changed.append((known[key][0], details))
    if changed:
        rows = await repository.change_drivers(
            db, [driver_id for driver_id, _ in changed], [details for _, details in changed], upload.now
        )
        versions = {row["id"]: row["version"] for row in rows}
        for driver_id, details in changed:
            known[(details.license_number, details.date_of_birth)] = (driver_id, versions[driver_id], details)
        await driver_change.follow(db, list(versions))
    for filing in filings:
        driver_id, version, _ = known[(filing.driver.license_number, filing.driver.date_of_birth)]
        filing.declaration.driver_id, filing.declaration.driver_version = driver_id, version


def repeated_references(filings: list[Filing]) -> dict[int, list[FieldError]]:
    first: dict[str, int] = {}
    refused: dict[int, list[FieldError]] = {}
    for filing in filings:
        reference = filing.record.client_reference
        if reference in first:
            refused[filing.position] = [refusal("clientReference", "repeated_reference", position=first[reference])]
        else:
            first[reference] = filing.position
    return refused


async def plates_taken(db: Transaction, upload: validate.Upload, filings: list[Filing]) -> dict[int, list[FieldError]]:
    """Add the batch's new plates to the register. Those someone registered meanwhile (through
    the single API) are checked again, by the plate rules, against what the register says."""
    new_plates = [plate for filing in filings for plate in filing.new_plates]
    taken = await repository.add_plates(db, upload.operator_id, new_plates)
    if not taken:
        return {}
    registered = await repository.register_entries(db, upload.operator_id, taken)
    refused: dict[int, list[FieldError]] = {}
    for filing in filings:
        if not registered.keys() & set(rules.all_plates(filing.record)):
            continue
        # The record's other plates passed against the upload's register: as their lists say.
        view = {
            plate: registered.get(plate, listed_as)
            for _, attribute, listed_as in rules.PLATE_LISTS
            for plate in getattr(filing.record, attribute)
        }
        if errors := rules.plates(filing.record, view):
            refused[filing.position] = errors
    return refused


async def overlaps(db: Transaction, filings: list[Filing]) -> dict[int, list[FieldError]]:
    """The overlap rule (its one SQL predicate) for the records to submit, against what is filed
    and against each other."""
    submitting = [filing for filing in filings if filing.submit]
    if not submitting:
        return {}
    rows = await repository.overlaps(
        db,
        [filing.position for filing in submitting],
        [filing.declaration.driver_id for filing in submitting],
        [filing.declaration.posting_country for filing in submitting],
        [filing.declaration.start_date for filing in submitting],
        [filing.declaration.end_date for filing in submitting],
    )
    refused: dict[int, list[FieldError]] = {}
    for row in rows:
        if row["declaration_id"] is not None:
            error = refusal("", "overlap", declarationId=str(row["declaration_id"]))
        else:
            error = refusal("", "overlaps_record", position=row["earlier"])
        refused.setdefault(row["position"], []).append(error)
    return refused
