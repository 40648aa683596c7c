"""The synthetic fleet generator: deterministic, streamed, realistic, and invalid exactly where meant.

Each record is checked the way the bulk endpoint sees it: split into the driver's and the
declaration's fields, decoded strictly, normalised, and run through the rules of domain.md with
a register made of the record's own plates.
"""

import datetime
import itertools
import subprocess
import sys
import textwrap
import tracemalloc
import unicodedata
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from loadtests.synthetic import cli as fleet_cli
from loadtests.synthetic.dice import _plate
from loadtests.synthetic.files import write
from loadtests.synthetic.generator import INVALID_KINDS, PLATE_KEYS, generate, invalid_records
from loadtests.synthetic.tables import GENERIC_PLATE_FORMATS, PLATE_FORMATS, nationalities
from portal import normalize
from portal.bulk.validate import Register, Upload
from portal.bulk.validate import check as check_bulk_record
from portal.cli import main
from portal.clock import now, today
from portal.declarations.rules import PLATE_LISTS, check
from portal.field_rules import apply_rules
from schemas.declarations import DeclarationFields
from schemas.drivers import DriverDetails, DriverFields

START = today() + datetime.timedelta(days=2)
# The driver as stated (the official fields), not their preferences (driverLanguage).
DRIVER_KEYS = frozenset(field.encode_name for field in msgspec.structs.fields(DriverDetails))
ENVELOPE_KEYS = frozenset({"clientReference", "submit", "vehicleRegistrationCountry"})
DECLARATION_KEYS = frozenset(
    {
        "declarationPostingCountry",
        "declarationStartDate",
        "declarationEndDate",
        "declarationOperationType",
        "declarationTransportType",
        *PLATE_KEYS,
        "otherContactAsTransportManager",
    }
)
ALWAYS = ENVELOPE_KEYS | DRIVER_KEYS | DECLARATION_KEYS
SOMETIMES = frozenset(
    {"otherContactFirstName", "otherContactLastName", "otherContactEmail", "otherContactPhone", "driverEmail"}
)
# What each kind of spoiled record must be refused for: a field path prefix, or failing to decode.
REFUSED_FOR = {
    "period-over-six-months": "declarationEndDate",
    "start-in-the-past": "declarationStartDate",
    "look-alike-plate": "declarationVehiclePlateNumber",
    "control-character-in-name": "driverLatin",
    "host-country-EL": "declarationPostingCountry",
    "unknown-field": "decoding",
    "wrong-json-type": "decoding",
    "repeated-operation-type": "declarationOperationType",
    "missing-field": "decoding",
    "host-is-home-country": "declarationPostingCountry",
}


def problems(record: dict[str, Any], operator_country: str) -> list[str]:
    """The fields a record is refused for ("decoding" when it does not decode): [] if it may be filed."""
    found = []
    if record.get("vehicleRegistrationCountry") != operator_country or record.get("submit") is not True:
        found.append("envelope")
    driver_part = {key: value for key, value in record.items() if key in DRIVER_KEYS}
    declaration_part = {
        key: value for key, value in record.items() if key not in DRIVER_KEYS and key not in ENVELOPE_KEYS
    }
    declaration_part["driverId"] = str(uuid.UUID(int=1))
    try:
        driver = msgspec.json.decode(msgspec.json.encode(driver_part), type=DriverFields, strict=True)
        declaration = msgspec.json.decode(msgspec.json.encode(declaration_part), type=DeclarationFields, strict=True)
    except msgspec.ValidationError:
        return [*found, "decoding"]
    found += [error.field for error in apply_rules(driver) + apply_rules(declaration)]
    register = {
        plate: listed_as for (_, attribute, listed_as) in PLATE_LISTS for plate in getattr(declaration, attribute)
    }
    errors = check(
        declaration,
        establishment_country=operator_country,
        driver_born=driver.driver_date_of_birth,
        register=register,
        today=today(),
        submitting_on=today(),
    )
    return found + [error.field for error in errors]


def spoiled(declarations: int, share: float, seed: int) -> dict[int, str]:
    return dict(invalid_records(declarations, share, seed))


@pytest.mark.parametrize("country", ["PL", "DE", "LT", "RO", "CZ", "NL", "ES", "FR", "IS", "GR"])
def test_valid_records_pass_every_rule_and_spoiled_ones_break_theirs(country: str) -> None:
    records = list(generate(25, 700, invalid_share=0.1, seed=11, operator_country=country, start=START))
    kinds = spoiled(700, 0.1, 11)
    assert len(kinds) == 70
    for position, record in enumerate(records):
        found = problems(record, country)
        if position in kinds:
            expected = REFUSED_FOR[kinds[position]]
            assert any(field.startswith(expected) for field in found), (kinds[position], found, record)
        else:
            assert found == [], (found, record)
            assert ALWAYS <= record.keys() <= ALWAYS | SOMETIMES
            assert record["declarationPostingCountry"] != country
            assert datetime.date.fromisoformat(record["declarationStartDate"]) >= START


def test_exactly_the_share_asked_is_invalid_spread_through_the_file() -> None:
    records = list(generate(40, 3000, invalid_share=0.05, seed=7, start=START))
    refused = [position for position, record in enumerate(records) if problems(record, "PL")]
    assert len(refused) == round(3000 * 0.05) == 150
    assert refused == sorted(spoiled(3000, 0.05, 7))
    assert set(spoiled(3000, 0.05, 7).values()) == set(INVALID_KINDS)
    # One in each stretch of 20 records: never bunched.
    assert max(b - a for a, b in itertools.pairwise(refused)) < 40
    assert not any(problems(record, "PL") for record in generate(10, 300, seed=7, start=START))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.ndjson" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (3, 3, 4), strict=True):
        assert write(path, generate(30, 500, invalid_share=0.02, seed=seed, start=START)) == 500
    first, again, other = (path.read_bytes() for path in paths)
    assert first == again
    assert first != other


@pytest.mark.parametrize(("drivers", "declarations"), [(40, 3000), (3, 1000), (1, 400)])
def test_no_overlap_for_one_driver_in_one_host_country(drivers: int, declarations: int) -> None:
    periods: dict[tuple[str, str], list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for record in generate(drivers, declarations, seed=5, start=START):
        start = datetime.date.fromisoformat(record["declarationStartDate"])
        end = datetime.date.fromisoformat(record["declarationEndDate"])
        assert START <= start <= end
        periods[record["driverLicenseNumber"], record["declarationPostingCountry"]].append((start, end))
    assert len({licence for licence, _ in periods}) == drivers
    for spans in periods.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end < start


def test_references_unique_drivers_stable_plates_consistent() -> None:
    records = list(generate(300, 4000, invalid_share=0.0, seed=2, start=START))
    assert len({record["clientReference"] for record in records}) == len(records)
    driver_of_licence: dict[str, tuple[Any, ...]] = {}
    list_of_plate: dict[str, str] = {}
    licence_of_plate: dict[str, str] = {}
    for position, record in enumerate(records):
        driver = tuple(record[key] for key in sorted(DRIVER_KEYS))
        assert driver_of_licence.setdefault(record["driverLicenseNumber"], driver) == driver
        named = [(key, plate) for key in PLATE_KEYS for plate in record[key]]
        assert 1 <= len(named) <= 2
        transport_types = record["declarationTransportType"]
        assert transport_types in (["CARRIAGE_OF_GOODS"], ["CARRIAGE_OF_PASSENGERS"])
        for key, plate in named:
            assert list_of_plate.setdefault(plate, key) == key, plate
            assert licence_of_plate.setdefault(plate, record["driverLicenseNumber"]) == record["driverLicenseNumber"]
            assert (key == "declarationVehiclePlateNumber") == (transport_types == ["CARRIAGE_OF_PASSENGERS"])
        assert record["driverDocumentIssuingCountry"] == record["driverAddressCountry"]
        assert record["driverLicenseNumber"] == records[position % 300]["driverLicenseNumber"]
    assert len(driver_of_licence) == 300
    # About one vehicle per driver, both weight classes and both transport types present.
    assert 300 <= len(list_of_plate) <= 450
    assert set(list_of_plate.values()) == set(PLATE_KEYS)
    assert sum(not record["otherContactAsTransportManager"] for record in records) in range(250, 550)
    assert sum("driverEmail" in record for record in records) in range(1400, 2600)


@pytest.mark.parametrize("country", [*PLATE_FORMATS, "generic"])
def test_every_vehicle_has_its_own_plate(country: str) -> None:
    formats = PLATE_FORMATS.get(country, GENERIC_PLATE_FORMATS)
    keys = tuple((11 * index, 22 * index, 33 * index) for index in range(len(formats)))
    plates = {normalize.plate(_plate(formats, keys, vehicle)) for vehicle in range(30_000)}
    assert len(plates) == 30_000


def test_names_are_latin_nfc_and_addresses_plain_text() -> None:
    for nationality in nationalities():
        names = nationality.male + nationality.female + nationality.surnames + nationality.female_surnames
        assert len(nationality.male) >= 20, nationality.country
        assert len(nationality.surnames) >= 20, nationality.country
        for name in names:
            assert normalize.latin_name(name) == name
        for text in (*nationality.streets, *(city for city, _ in nationality.cities)):
            assert normalize.text(text) == text
        assert normalize.country(nationality.country) == nationality.country
    assert len(nationalities()) >= 15


# Letters that NFKD does not take apart into a base letter and a mark.
WHOLE_LETTERS: dict[str, str | int | None] = {"ł": "l", "ø": "o", "đ": "d", "ß": "ss"}


def ascii_letters(name: str) -> str:
    """Łukasz Wiśniewski as an address has it: lukasz, wisniewski."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(str.maketrans(WHOLE_LETTERS)))
    return "".join(char for char in folded if char.isascii() and (char.isalnum() or char == "-"))


def test_emails_are_ascii_and_derived_from_the_name() -> None:
    for record in generate(200, 200, seed=9, start=START):
        for key in ("driverEmail", "otherContactEmail"):
            if key in record:
                assert record[key].isascii(), record[key]
                assert record[key].endswith("@example.com"), record[key]
        if "driverEmail" in record:
            first, last = (ascii_letters(record[key]) for key in ("driverLatinFirstName", "driverLatinLastName"))
            assert record["driverEmail"] == f"{first}.{last}{record['driverDateOfBirth'][2:4]}@example.com"
        if "otherContactPhone" in record:
            assert record["otherContactPhone"].startswith("+48 ")


def test_both_file_formats_parse_back(tmp_path: Path) -> None:
    expected = list(generate(20, 250, invalid_share=0.04, seed=1, start=START))
    array = tmp_path / "fleet.json"
    lines = tmp_path / "fleet.ndjson"
    assert write(array, generate(20, 250, invalid_share=0.04, seed=1, start=START)) == 250
    assert write(lines, generate(20, 250, invalid_share=0.04, seed=1, start=START)) == 250
    assert msgspec.json.decode(array.read_bytes()) == expected
    assert [msgspec.json.decode(line) for line in lines.read_bytes().splitlines()] == expected
    assert array.read_bytes().startswith(b"[\n{")
    assert array.read_bytes().endswith(b"}\n]\n")
    # The format follows the flag over the name, and an empty fleet is still a JSON array.
    forced = tmp_path / "fleet.txt"
    write(forced, iter(expected), ndjson=True)
    assert forced.read_bytes() == lines.read_bytes()
    assert write(array, generate(3, 0)) == 0
    assert msgspec.json.decode(array.read_bytes()) == []


def test_cli_writes_the_file_and_reports_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Show the progress bar even for this small file.
    monkeypatch.setattr(fleet_cli, "_PROGRESS_FROM", 10)
    out = tmp_path / "fleet.ndjson"
    arguments = ["fleet", "generate", "--drivers", "10", "--declarations", "30", "--out", str(out)]
    result = CliRunner().invoke(main, [*arguments, "--invalid-share", "0.1", "--seed", "4", "--country", "de"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "30 records (3 invalid)" in result.stderr
    records = [msgspec.json.decode(line) for line in out.read_bytes().splitlines()]
    assert len(records) == 30
    assert {record["vehicleRegistrationCountry"] for record in records} == {"DE"}
    refused = CliRunner().invoke(main, [*arguments, "--country", "XX"])
    assert refused.exit_code == 2
    refused = CliRunner().invoke(main, [*arguments, "--start", "2001-01-01"])
    assert refused.exit_code == 2
    assert "before today" in refused.stderr


def test_bad_arguments_are_refused_before_the_first_record() -> None:
    for arguments in (
        {"operator_country": "XX"},
        {"operator_country": "EL"},
        {"invalid_share": 1.5},
        {"start": today() - datetime.timedelta(days=1)},
        {"seed": 2**64},
    ):
        with pytest.raises(ValueError):
            generate(10, 10, **arguments)
    with pytest.raises(ValueError, match="drivers"):
        generate(0, 10)


def test_memory_stays_flat_while_streaming(tmp_path: Path) -> None:
    # Holding the records would take about 3 kB each: 60 MB for these 20,000.
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert write(tmp_path / "fleet.ndjson", generate(5_000, 20_000, invalid_share=0.02, start=START)) == 20_000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - before < 20_000_000


def test_resident_memory_stays_flat_for_200_000_records(tmp_path: Path) -> None:
    # tracemalloc would slow this tenfold; the process's own peak tells the same for real bytes.
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from loadtests.synthetic.files import write
        from loadtests.synthetic.generator import generate
        write(Path({str(tmp_path / "warm.ndjson")!r}), generate(50_000, 2_000, invalid_share=0.02))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        write(Path({str(tmp_path / "big.ndjson")!r}), generate(50_000, 200_000, invalid_share=0.02))
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    grown_kib = int(result.stdout)
    assert grown_kib < 20_000


def test_the_bulk_endpoint_reads_valid_records_and_refuses_spoiled_ones() -> None:
    # The endpoint's own per-record checks (those that need no database), on the bytes it receives.
    upload = Upload(
        upload_id=uuid.UUID(int=2),
        operator_id=uuid.UUID(int=1),
        establishment_country="PL",
        today=today(),
        now=now(),
        submit_by_default=False,
    )
    encoder = msgspec.json.Encoder()
    kinds = spoiled(1000, 0.05, 12)
    register = Register({})
    for position, record in enumerate(generate(60, 1000, invalid_share=0.05, seed=12, start=START)):
        decoded, errors = check_bulk_record(encoder.encode(record), upload, register)
        if decoded is not None and not errors:
            register.admit(decoded, "PL")
        assert bool(errors) == (position in kinds), (kinds.get(position), errors, record)
        if decoded is not None and not errors:
            assert decoded.client_reference == record["clientReference"]
