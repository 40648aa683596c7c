"""A driver's change reaches their declarations: each draft and current submitted one becomes a
new version showing the driver as they are now (submitted ones with an UPDATED event).

The drivers package calls this through its ``Dependents`` port, wired in by the application;
bulk filing calls ``follow`` for the drivers a batch changes.
"""

import uuid

from portal import clock
from portal.db import Transaction
from portal.declarations import repository
from portal.identity.auth import OperatorPrincipal
from portal.operators.drivers.service import Dependents


async def follow(db: Transaction, driver_ids: list[uuid.UUID]) -> int:
    """New versions for the drafts and current declarations of ``driver_ids`` that show an older
    version of their driver; what they touch must be locked. Returns how many changed."""
    return await repository.follow_drivers(db, driver_ids, clock.now(), clock.today())


class DeclarationsOfDriver(Dependents):
    """The declarations, as what depends on a driver (``drivers.service.Dependents``)."""

    async def before_change(self, db: Transaction, operator: OperatorPrincipal, driver_id: uuid.UUID) -> None:
        # Lock order, everywhere: filing locks, declarations, then their driver.
        await repository.lock_current_of_driver(db, operator.operator_id, driver_id)

    async def after_change(self, db: Transaction, operator: OperatorPrincipal, driver_id: uuid.UUID) -> None:
        await follow(db, [driver_id])
