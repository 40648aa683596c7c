"""``POST /declarations/renewals``: renew, or list what a renewal would file (``dryRun``)."""

from litestar import Controller, post
from litestar.params import JSONBody

from portal.dependencies import InTransaction
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.renewals import service
from portal.wire import StrictJSON
from schemas.renewals import RenewalRequest, RenewalResult


class RenewalController(Controller):
    path = "/declarations/renewals"
    tags = ["Declarations"]

    @post(
        operation_id="RenewDeclarations",
        status_code=200,
        dto=StrictJSON[RenewalRequest],
        return_dto=None,
        summary="Renew every SUBMITTED declaration that ends within withinDays, or list what would be filed (dryRun)",
        description="Each declaration that ends within `withinDays` and that no later declaration of the same"
        " driver and host country follows is copied to the period after it (as long as it was) and submitted."
        " Each is filed on its own: one refused (`REFUSED`, with its errors) leaves the others `RENEWED`."
        " With `dryRun` nothing is stored and each says `WOULD_RENEW` or the refusals it would meet;"
        " the drivers of `excludeDriverIds` are listed as `OPTED_OUT`.",
        responses=errors(*AUTHENTICATED, *WITH_BODY),
    )
    async def renew(
        self, db: InTransaction, operator: CurrentOperator, data: JSONBody[RenewalRequest]
    ) -> RenewalResult:
        return await service.renew(db, operator, data)
