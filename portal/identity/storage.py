"""How an operator is stored, read back for what is printed about them (the declaration PDF).

The profile (address, VAT and register numbers, contact details, transport manager) is a
document that the operators' web pages edit; it is read leniently, like all stored documents,
and every part of it may be missing until the operator fills it in.
"""

import msgspec


class TransportManager(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    cpc_number: str | None = None


class OperatorProfile(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    vat_number: str | None = None
    register_number: str | None = None
    address_street: str | None = None
    address_post_code: str | None = None
    address_city: str | None = None
    address_country: str | None = None
    email: str | None = None
    phone: str | None = None
    # The language of the PDFs and e-mails of its drivers who have none of their own.
    language: str | None = None
    # Each driver with a current or coming declaration is e-mailed them once a week.
    weekly_driver_email: bool = False
    transport_manager: TransportManager = msgspec.field(default_factory=TransportManager)


class StoredOperator(msgspec.Struct, kw_only=True):
    name: str
    establishment_country: str
    community_licence: str | None
    profile: OperatorProfile


def operator_of(
    name: str, establishment_country: str, community_licence: str | None, profile: object
) -> StoredOperator:
    return StoredOperator(
        name=name,
        establishment_country=establishment_country,
        community_licence=community_licence,
        profile=msgspec.convert(profile or {}, OperatorProfile, strict=False),
    )
