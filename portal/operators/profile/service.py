"""Reading and replacing the profile: the wire's flat fields, the stored document's nested ones."""

from portal.db import Transaction
from portal.errors import NotFound
from portal.identity import repository as identity
from portal.identity.auth import OperatorPrincipal
from portal.identity.storage import OperatorProfile, TransportManager
from schemas.operators import OperatorAccount, OperatorProfileFields

_MANAGER = "transport_manager_"


def stored(fields: OperatorProfileFields) -> OperatorProfile:
    values = {name: getattr(fields, name) for name in fields.__struct_fields__}
    manager = TransportManager(
        **{name[len(_MANAGER) :]: values.pop(name) for name in list(values) if name.startswith(_MANAGER)}
    )
    return OperatorProfile(**values, transport_manager=manager)


def fields_of(profile: OperatorProfile) -> OperatorProfileFields:
    values = {name: getattr(profile, name) for name in profile.__struct_fields__ if name != "transport_manager"}
    manager = profile.transport_manager
    values |= {_MANAGER + name: getattr(manager, name) for name in manager.__struct_fields__}
    return OperatorProfileFields(**values)


async def read(db: Transaction, operator: OperatorPrincipal) -> OperatorAccount:
    found = await identity.fetch_operator(db, operator.operator_id)
    if found is None:
        raise NotFound.of("", "not_found", kind="operator")
    return OperatorAccount(
        operator_id=operator.operator_id,
        operator_name=found.name,
        establishment_country=found.establishment_country,
        community_licence_number=found.community_licence,
        profile=fields_of(found.profile),
    )


async def replace(db: Transaction, operator: OperatorPrincipal, fields: OperatorProfileFields) -> OperatorAccount:
    await identity.set_operator_profile(db, operator.operator_id, stored(fields))
    return await read(db, operator)
