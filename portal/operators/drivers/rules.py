"""The rules of a driver's details, for the single API and bulk records alike."""

import datetime
from typing import Protocol

from portal.dates import years_between
from portal.refusals import refusal
from schemas.errors import FieldError

# A typo guard for dates of people and contracts, not an age limit.
EARLIEST_DATE = datetime.date(1900, 1, 1)
# No one under this age drives on a posting (a declaration checks it on its start date).
ADULT_YEARS = 18


class DriverDates(Protocol):
    driver_date_of_birth: datetime.date
    driver_contract_start_date: datetime.date


def check(driver: DriverDates, today: datetime.date) -> list[FieldError]:
    errors = []
    born = driver.driver_date_of_birth
    if born < EARLIEST_DATE:
        errors.append(refusal("driverDateOfBirth", "before_earliest", earliest=EARLIEST_DATE))
    elif years_between(born, today) < ADULT_YEARS:
        # This also catches a mistyped year early.
        errors.append(refusal("driverDateOfBirth", "driver_too_young", minimumAge=ADULT_YEARS))
    if driver.driver_contract_start_date < EARLIEST_DATE:
        errors.append(refusal("driverContractStartDate", "before_earliest", earliest=EARLIEST_DATE))
    return errors
