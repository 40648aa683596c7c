"""Bulk-filing records of a synthetic fleet, streamed in constant memory.

Record k is declaration k // drivers of driver k % drivers. Everything about driver i (name,
documents, address, vehicles) is derived from a hash of (seed, i) each time it is needed and
never kept, so a million records stream through without a table of drivers, and driver i is the
same person in every record of a file and in every file of the same seed (bulk filing matches
drivers on licence number and date of birth).

Every record is a flat object with the official API's field names plus ``clientReference``,
``submit`` and ``vehicleRegistrationCountry`` (the operator's country, where the plates are
registered). Valid records pass every rule of domain.md on the day they are generated; with
``invalid_share`` an exact number of them, spread through the file, each break one rule in a
known way (``invalid_records`` says which and how).
"""

import datetime
import math
from collections.abc import Iterator
from typing import Any, NamedTuple, TypeVar

from loadtests.synthetic.dice import (
    _DRIVER,
    _FLEET,
    _INVALID,
    _PHONE,
    _RECORD,
    MAX_DRIVERS,
    _ascii,
    _ascii_cached,
    _Dice,
    _iso,
    _plate,
    _shuffle,
)
from loadtests.synthetic.tables import (
    CALLING_CODES,
    GENERIC_PLATE_FORMATS,
    HOST_ORDER,
    PLATE_FORMATS,
    nationalities,
    nationality_of,
)
from portal.clock import today
from portal.declarations.rules import last_allowed_end
from portal.normalize import POSTING_COUNTRIES, REGISTRATION_COUNTRIES

T = TypeVar("T")

PASSENGERS, GOODS = "CARRIAGE_OF_PASSENGERS", "CARRIAGE_OF_GOODS"
CABOTAGE, INTERNATIONAL = "CABOTAGE_OPERATIONS", "INTERNATIONAL_CARRIAGE"
# The three plate lists, by index: what a vehicle of each kind is declared under.
PLATE_KEYS = (
    "declarationVehiclePlateNumber",
    "declarationVehiclePlateNumberLight",
    "declarationVehiclePlateNumberHeavy",
)
_BUS, _LIGHT, _HEAVY = 0, 1, 2
# Where an address line often carries a flat number: "ul. Długa 5/12".
_FLAT_NUMBERS = frozenset({"PL", "CZ", "SK"})

# Weighted by repetition: international carriage alone is the common case.
_OPERATIONS = ((INTERNATIONAL,),) * 12 + ((CABOTAGE,),) * 3 + ((CABOTAGE, INTERNATIONAL),) * 5

# ---------------------------------------------------------------------------------------------
# Invalid records: each kind breaks one rule of domain.md.
# ---------------------------------------------------------------------------------------------

INVALID_KINDS = (
    "period-over-six-months",  # rule 1
    "start-in-the-past",  # rule 2: submitted records are declared before they start
    "look-alike-plate",  # rule 4: a Cyrillic letter in a plate
    "control-character-in-name",  # rule 6: NUL or a right-to-left override
    "host-country-EL",  # rule 3: Greece is GR
    "unknown-field",  # rule 7
    "wrong-json-type",  # rule 7
    "repeated-operation-type",  # rule 4
    "missing-field",  # every driver and most declaration fields are required
    "host-is-home-country",  # rule 3: the host differs from the establishment country
)
# Latin letters and the Cyrillic capitals that look the same.
_LOOK_ALIKES = {
    "A": "\u0410", "B": "\u0412", "C": "\u0421", "E": "\u0415", "H": "\u041d", "K": "\u041a",
    "M": "\u041c", "O": "\u041e", "P": "\u0420", "T": "\u0422", "X": "\u0425", "Y": "\u0423",
}  # fmt: skip
_UNKNOWN_FIELDS = (
    ("driverMiddleName", "Maria"),
    ("declarationComment", "renewal"),
    ("trailerPlateNumber", "WX 1234A"),
)
_DROPPABLE_FIELDS = (
    "driverLicenseNumber",
    "driverDateOfBirth",
    "driverAddressCity",
    "declarationEndDate",
    "declarationPostingCountry",
    "declarationOperationType",
    "otherContactAsTransportManager",
)


class FleetDriver(NamedTuple):
    fields: dict[str, str]
    email: str | None
    transport_type: str
    # (plate list index, plate): the first is named in every declaration, the second in some.
    vehicles: tuple[tuple[int, str], ...]
    host_offset: int


def invalid_count(declarations: int, invalid_share: float) -> int:
    if not 0.0 <= invalid_share <= 1.0:
        raise ValueError(f"invalid_share must be between 0 and 1, not {invalid_share}")
    return round(declarations * invalid_share)


def invalid_records(declarations: int, invalid_share: float, seed: int = 0) -> Iterator[tuple[int, str]]:
    """The records ``generate`` spoils, in file order: (position, kind from INVALID_KINDS).

    Exactly ``invalid_count`` of them: the file is cut into that many equal stretches and one
    record of each stretch, chosen by hash, is spoiled, so they spread evenly but not regularly.
    """
    count = invalid_count(declarations, invalid_share)
    for ordinal in range(count):
        low, high = ordinal * declarations // count, (ordinal + 1) * declarations // count
        position = low + _Dice(seed, _INVALID, ordinal).below(high - low)
        yield position, INVALID_KINDS[ordinal % len(INVALID_KINDS)]


class _Fleet:
    # Periods start within 360 days (the rules accept a start up to a year ahead), the same host
    # country coming back every 180 days at most, more often when drivers have many declarations.
    HORIZON_DAYS = 360
    # The longest period: every start date allows at least 180 days to its last allowed end.
    SLOT_DAYS = 180

    def __init__(
        self,
        drivers: int,
        declarations: int,
        *,
        invalid_share: float,
        seed: int,
        operator_country: str,
        start: datetime.date | None,
    ) -> None:
        if declarations < 0:
            raise ValueError("declarations must not be negative")
        if not 1 <= drivers <= MAX_DRIVERS:
            raise ValueError(f"drivers must be between 1 and {MAX_DRIVERS}")
        if operator_country not in REGISTRATION_COUNTRIES:
            raise ValueError(
                f"{operator_country!r} is not a registration country: one of {' '.join(sorted(REGISTRATION_COUNTRIES))}"
            )
        if not -(2**63) <= seed < 2**63:
            raise ValueError("seed must fit in 64 bits")
        invalid_count(declarations, invalid_share)
        this_day = today()
        self.today = this_day.toordinal()
        first_day = start or this_day + datetime.timedelta(days=1)
        if first_day < this_day:
            raise ValueError(
                f"start must not be before today ({this_day}, UTC): postings are declared before they begin"
            )
        self.drivers, self.declarations, self.seed = drivers, declarations, seed
        self.invalid_share = invalid_share
        self.operator_country = operator_country
        self.start = first_day.toordinal()
        self.hosts = tuple(country for country in HOST_ORDER if country != operator_country)
        rounds = max(1, math.ceil(math.ceil(declarations / drivers) / len(self.hosts)))
        self.slot_days = max(1, min(self.SLOT_DAYS, self.HORIZON_DAYS // rounds))
        self.lead_days = max(1, self.slot_days // 4)
        if self.start + rounds * self.slot_days > datetime.date.max.toordinal() - 400:
            raise ValueError("too many declarations per driver: their periods would run past the year 9999")
        self.plate_formats = PLATE_FORMATS.get(operator_country, GENERIC_PLATE_FORMATS)
        # Each driver has vehicle numbers 2i and 2i + 1.
        if (2 * drivers - 1) // len(self.plate_formats) >= min(f.capacity for f in self.plate_formats):
            raise ValueError(f"too many drivers for the plate formats of {operator_country}")
        fleet_dice = _Dice(seed, _FLEET, 0)
        self.plate_keys = tuple(self._keys(fleet_dice) for _ in self.plate_formats)
        self.licence_keys = self._keys(fleet_dice)
        self.home = nationality_of(operator_country)
        # Drivers' ages count from the 1st of January of the first year, so that driver i keeps
        # the same date of birth in every file of a year whatever day it is generated.
        self.year_start = datetime.date(first_day.year, 1, 1).toordinal()
        self.contacts = tuple(self._contact(number) for number in range(6))

    @staticmethod
    def _keys(dice: _Dice) -> tuple[int, int, int]:
        return dice.below(1 << 64), dice.below(1 << 64), dice.below(1 << 64)

    def _contact(self, number: int) -> dict[str, str]:
        """One of the few office people a fleet names as contact instead of its transport manager."""
        dice = _Dice(self.seed, _FLEET, 1 + number)
        nationality = self.home or dice.pick(nationalities())
        female = dice.below(2) == 0
        first = dice.pick(nationality.female if female else nationality.male)
        last = dice.pick(nationality.female_surnames if female else nationality.surnames)
        contact = {
            "otherContactFirstName": first,
            "otherContactLastName": last,
            "otherContactEmail": f"{_ascii(first)}.{_ascii(last)}@example.com",
        }
        if dice.below(2):
            code = CALLING_CODES[self.operator_country]
            contact["otherContactPhone"] = f"+{code} " + dice.fill(_PHONE)
        return contact

    def driver(self, index: int) -> FleetDriver:
        dice = _Dice(self.seed, _DRIVER, index)
        below, pick = dice.below, dice.pick
        home = self.home
        nationality = home if home is not None and below(100) < 60 else pick(nationalities())
        female = below(100) < 8
        first = pick(nationality.female if female else nationality.male)
        surnames = nationality.female_surnames if female else nationality.surnames
        last = pick(surnames)
        if nationality.two_surnames and below(10) < 7:
            last = f"{last} {pick(surnames)}"
        # Aged 21 to 65 at the start of the year, hired after their 18th birthday.
        born = self.year_start - 7671 - below(15700)
        hired = self.year_start - 1 - below(min(5479, self.year_start - 1 - (born + 6576)))
        # Every day of 65 years is equally likely: a cache would mostly miss.
        born_iso = datetime.date.fromordinal(born).isoformat()
        licence = dice.fill(nationality.licence, f"{_shuffle(index, 10**4, 10**4, self.licence_keys):08d}")
        kind = below(20)
        if kind < 3:
            document_type, document_number = "DRIVINGLICENSE", licence
        elif kind < 14 and nationality.id_card is not None:
            document_type, document_number = "IDCARD", dice.fill(nationality.id_card)
        else:
            document_type, document_number = "PASSPORT", dice.fill(nationality.passport)
        city, post_code = pick(nationality.cities)
        house = str(1 + below(150))
        if nationality.country in _FLAT_NUMBERS and below(3) == 0:
            house = f"{house}/{1 + below(60)}"
        country = nationality.country
        fields = {
            "driverLatinFirstName": first,
            "driverLatinLastName": last,
            "driverDateOfBirth": born_iso,
            "driverLicenseNumber": licence,
            "driverDocumentType": document_type,
            "driverDocumentNumber": document_number,
            "driverDocumentIssuingCountry": country,
            "driverAddressStreet": nationality.address.format(street=pick(nationality.streets), number=house),
            "driverAddressPostCode": dice.fill(post_code),
            "driverAddressCity": city,
            "driverAddressCountry": country,
            "driverContractStartDate": datetime.date.fromordinal(hired).isoformat(),
            # The employment contract is with the operator, under the law of its country.
            "driverApplicableLaw": self.operator_country,
        }
        email = f"{_ascii_cached(first)}.{_ascii_cached(last)}{born_iso[2:4]}@example.com" if below(2) else None
        primary = _plate(self.plate_formats, self.plate_keys, 2 * index)
        second = below(4) == 0
        if below(100) < 8:
            transport_type, lists = PASSENGERS, (_BUS, _BUS)
        else:
            transport_type = GOODS
            lists = (_HEAVY, pick((_HEAVY, _LIGHT))) if below(100) < 85 else (_LIGHT, _LIGHT)
        vehicles: tuple[tuple[int, str], ...] = ((lists[0], primary),)
        if second:
            vehicles += ((lists[1], _plate(self.plate_formats, self.plate_keys, 2 * index + 1)),)
        return FleetDriver(fields, email, transport_type, vehicles, below(3))

    def records(self) -> Iterator[dict[str, Any]]:
        spoiled = invalid_records(self.declarations, self.invalid_share, self.seed)
        next_spoiled, kind = next(spoiled, (-1, ""))
        for position in range(self.declarations):
            if position == next_spoiled:
                yield self.record(position, kind)
                next_spoiled, kind = next(spoiled, (-1, ""))
            else:
                yield self.record(position, None)

    def record(self, position: int, spoil: str | None) -> dict[str, Any]:
        driver = self.driver(position % self.drivers)
        turn = position // self.drivers
        dice = _Dice(self.seed, _RECORD, position)
        hosts = self.hosts
        # The same host country comes back every len(hosts) declarations of a driver, each
        # time in the next slot of days: periods of one driver in one country never overlap.
        host = hosts[(driver.host_offset + turn) % len(hosts)]
        slot = self.start + (turn // len(hosts)) * self.slot_days
        begin = slot + dice.below(self.lead_days)
        end = begin + dice.below(slot + self.slot_days - begin)
        lists: tuple[list[str], list[str], list[str]] = ([], [], [])
        # The second vehicle, where the driver has one, is named in about half of the declarations.
        vehicles = driver.vehicles if dice.below(2) else driver.vehicles[:1]
        for plate_list, plate in vehicles:
            lists[plate_list].append(plate)
        record: dict[str, Any] = {
            "clientReference": f"FLEET-{self.seed}-{position:08d}",
            "submit": True,
            **driver.fields,
            "declarationPostingCountry": host,
            "declarationStartDate": _iso(begin),
            "declarationEndDate": _iso(end),
            "declarationOperationType": list(dice.pick(_OPERATIONS)),
            "declarationTransportType": [driver.transport_type],
            "declarationVehiclePlateNumber": lists[_BUS],
            "declarationVehiclePlateNumberLight": lists[_LIGHT],
            "declarationVehiclePlateNumberHeavy": lists[_HEAVY],
            "vehicleRegistrationCountry": self.operator_country,
        }
        if dice.below(10):
            record["otherContactAsTransportManager"] = True
        else:
            record["otherContactAsTransportManager"] = False
            record.update(dice.pick(self.contacts))
        if driver.email is not None:
            record["driverEmail"] = driver.email
        if spoil is not None:
            self._spoil(record, spoil, dice, begin)
        return record

    def _spoil(self, record: dict[str, Any], kind: str, dice: _Dice, begin: int) -> None:
        if kind == "period-over-six-months":
            too_late = last_allowed_end(datetime.date.fromordinal(begin)).toordinal() + 1 + dice.below(60)
            record["declarationEndDate"] = _iso(too_late)
        elif kind == "start-in-the-past":
            past = self.today - 1 - dice.below(90)
            record["declarationStartDate"] = _iso(past)
            record["declarationEndDate"] = _iso(past + dice.below(60))
        elif kind == "look-alike-plate":
            plates = next(record[key] for key in PLATE_KEYS if record[key])
            plate = plates[0]
            at = next((i for i, char in enumerate(plate) if char in _LOOK_ALIKES), None)
            if at is None:
                at = next(i for i, char in enumerate(plate) if char.isalpha())
            plates[0] = plate[:at] + _LOOK_ALIKES.get(plate[at], "\u0410") + plate[at + 1 :]
        elif kind == "control-character-in-name":
            if dice.below(2):
                name = record["driverLatinLastName"]
                record["driverLatinLastName"] = name[:2] + "\x00" + name[2:]
            else:
                record["driverLatinFirstName"] = "\u202e" + record["driverLatinFirstName"]
        elif kind == "host-country-EL":
            record["declarationPostingCountry"] = "EL"
        elif kind == "unknown-field":
            name, value = dice.pick(_UNKNOWN_FIELDS)
            record[name] = value
        elif kind == "wrong-json-type":
            wrong = dice.below(3)
            if wrong == 0:
                record["otherContactAsTransportManager"] = "yes"
            elif wrong == 1:
                record["declarationOperationType"] = record["declarationOperationType"][0]
            else:
                record["driverDateOfBirth"] = int(record["driverDateOfBirth"].replace("-", ""))
        elif kind == "repeated-operation-type":
            operation = dice.pick((CABOTAGE, INTERNATIONAL))
            record["declarationOperationType"] = [operation, operation]
        elif kind == "missing-field":
            del record[dice.pick(_DROPPABLE_FIELDS)]
        elif kind == "host-is-home-country":
            home = self.operator_country
            # An Icelandic operator's home is no host country at all: Switzerland is not one either.
            record["declarationPostingCountry"] = home if home in POSTING_COUNTRIES else "CH"
        else:
            raise AssertionError(kind)


def generate(
    drivers: int,
    declarations: int,
    *,
    invalid_share: float = 0.0,
    seed: int = 0,
    operator_country: str = "PL",
    start: datetime.date | None = None,
) -> Iterator[dict[str, Any]]:
    """``declarations`` bulk records of a fleet of ``drivers``, established in ``operator_country``.

    The same arguments give the same records on the same day (periods start at ``start``,
    by default tomorrow, UTC). Arguments are checked here, before the first record is asked for.
    """
    fleet = _Fleet(
        drivers,
        declarations,
        invalid_share=invalid_share,
        seed=seed,
        operator_country=operator_country,
        start=start,
    )
    return fleet.records()
