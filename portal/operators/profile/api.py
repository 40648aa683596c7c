"""``GET`` and ``PUT /operator-profile``: ours, as the official portal edits it in its pages."""

from litestar import Controller, get, put
from litestar.params import JSONBody

from portal.dependencies import InTransaction
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.operators.profile import service
from portal.wire import StrictJSON
from schemas.operators import OperatorAccount, OperatorProfileFields


class ProfileController(Controller):
    path = "/operator-profile"
    tags = ["Operator"]

    @get(operation_id="GetOperatorProfile", summary="The operator and its profile", responses=errors(*AUTHENTICATED))
    async def read_profile(self, db: InTransaction, operator: CurrentOperator) -> OperatorAccount:
        return await service.read(db, operator)

    @put(
        operation_id="ReplaceOperatorProfile",
        summary="Replace the profile: what the PDFs print about the operator, its drivers' language, weekly e-mail",
        dto=StrictJSON[OperatorProfileFields],
        return_dto=None,
        responses=errors(*AUTHENTICATED, *WITH_BODY),
    )
    async def replace_profile(
        self, db: InTransaction, operator: CurrentOperator, data: JSONBody[OperatorProfileFields]
    ) -> OperatorAccount:
        return await service.replace(db, operator, data)
