"""Base Struct and reusable constrained types of the wire contract."""

import datetime
from typing import Annotated, Literal

import msgspec


class RequestBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True, gc=False):
    """A body a client sends: unknown fields are refused, never ignored.

    Wire types hold no reference cycles, so none is tracked by the garbage collector (``gc=False``):
    a bulk upload makes millions of them, and tracking them made every collection slower.
    """


class ResponseBody(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """A body the portal answers with."""


# Lengths bound what we store. ``extra={"rule": ...}`` names the content rule of portal.normalize
# that the portal applies to the field (every other string gets the free-text rule).
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
OptionalText = Annotated[str, msgspec.Meta(max_length=100)]
Name = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=100, description="Latin script, NFC", extra={"rule": "latin_name"}),
]
CountryCode = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=2,
        description="ISO 3166-1 alpha-2 code",
        examples=["DE"],
        extra={"rule": "country"},
    ),
]
PostingCountry = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=2,
        description="host country, one of AT BE BG CY CZ DE DK EE ES FI FR GB GR HR HU IE IT LI LT LU LV MT NL NO"
        " PL PT RO SE SI SK",
        examples=["FR"],
        extra={"rule": "posting_country"},
    ),
]
RegistrationCountry = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=2,
        description="a host country or IS",
        examples=["PL"],
        extra={"rule": "registration_country"},
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=254, description="name@domain.tld", examples=["driver@example.com"], extra={"rule": "email"}
    ),
]
Phone = Annotated[
    str,
    msgspec.Meta(
        max_length=30,
        description="4 to 30 of digits, spaces and + ( ) . / -",
        examples=["+48 22 123 45 67"],
        extra={"rule": "phone"},
    ),
]
PlateInput = Annotated[
    str,
    msgspec.Meta(
        max_length=40,
        description="normalised: NFKC, upper case, no spaces or hyphens, 2-15 of A-Z0-9",
        examples=["WX 1234A"],
        extra={"rule": "plate"},
    ),
]
Date = datetime.date
Timestamp = datetime.datetime

TransportType = Literal["CARRIAGE_OF_GOODS", "CARRIAGE_OF_PASSENGERS"]
OperationType = Literal["CABOTAGE_OPERATIONS", "INTERNATIONAL_CARRIAGE"]
DocumentType = Literal["IDCARD", "PASSPORT", "DRIVINGLICENSE"]
VehicleWeight = Literal["LIGHT", "HEAVY", ""]
DeclarationStatus = Literal["DRAFT", "SUBMITTED", "WITHDRAWN", "EXPIRED"]
# The languages of the declaration PDF, as the official interface names them (``no``: Norwegian).
Language = Literal[
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu",
    "it", "lt", "lv", "mt", "nl", "no", "pl", "pt", "ro", "sk", "sl", "sv",
]  # fmt: skip

Limit = Annotated[int, msgspec.Meta(ge=1, le=250)]
