"""The operator's own record (ours: the official interface edits it in its web pages only)."""

import uuid

from schemas.base import CountryCode, Email, Language, Phone, RequestBody, ResponseBody, Text


class OperatorProfileFields(RequestBody, kw_only=True):
    """The body of ``PUT /operator-profile``: what the PDFs print about the operator, and how
    its drivers are sent them. Every field may be left out (printed as not given)."""

    vat_number: Text | None = None
    register_number: Text | None = None
    address_street: Text | None = None
    address_post_code: Text | None = None
    address_city: Text | None = None
    address_country: CountryCode | None = None
    email: Email | None = None
    phone: Phone | None = None
    # The language of the PDFs and e-mails of drivers who have none of their own.
    language: Language | None = None
    # Each driver with a current or coming declaration is e-mailed them once a week.
    weekly_driver_email: bool = False
    transport_manager_first_name: Text | None = None
    transport_manager_last_name: Text | None = None
    transport_manager_email: Email | None = None
    transport_manager_phone: Phone | None = None
    transport_manager_address: Text | None = None
    transport_manager_cpc_number: Text | None = None


class OperatorAccount(ResponseBody, kw_only=True):
    """``GET /operator-profile``: the operator as registered, and its profile."""

    operator_id: uuid.UUID
    operator_name: str
    establishment_country: str
    community_licence_number: str | None
    profile: OperatorProfileFields
