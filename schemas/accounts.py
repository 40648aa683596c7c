"""What the web pages' account forms send: the same strict decoding and content rules as the API."""

from typing import Annotated, Literal

import msgspec

from schemas.base import CountryCode, Email, Language, RequestBody, Text

# A passphrase, not a password rule zoo: long enough, not absurdly long (argon2 hashes it all).
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]


class SignUp(RequestBody, kw_only=True):
    """A new operator and its first person, its owner."""

    email: Email
    password: Password
    operator_name: Text
    establishment_country: CountryCode
    community_licence_number: Text | None = None
    language: Language | None = None


class Invitation(RequestBody, kw_only=True):
    """A person asked to file for the operator (or their role changed)."""

    email: Email
    role: Literal["OWNER", "MEMBER"] = "MEMBER"


class KeyAsked(RequestBody, kw_only=True):
    """A new API key of the operator, named for what it is for."""

    label: Text


class Login(RequestBody, kw_only=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class ResetAsked(RequestBody, kw_only=True):
    email: Email


class NewPassword(RequestBody, kw_only=True):
    password: Password
