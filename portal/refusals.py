"""Every refusal's English message, built in this one place from its code and parameters.

The codes are the wire contract's (``schemas.errors.RefusalCode``); the web pages and other
languages render the same code and parameters through their own catalogues.
"""

import datetime
import string
import typing

from schemas.errors import FieldError, RefusalCode

Param = str | int | datetime.date

MESSAGES: dict[RefusalCode, str] = {
    "body_empty": "the body is empty: a JSON object is expected",
    "body_not_json": "the body is not valid JSON: {problem}",
    "body_not_utf8": "the body is not valid UTF-8",
    "body_too_deep": "the body is nested too deeply",
    "body_not_object": "the body must be a JSON object",
    "body_too_large": "the body is larger than {maxBytes} bytes",
    "media_type": "the body must be {expected}, not {got}",
    "required": "is required",
    "unknown_field": "is not a known field",
    "wrong_type": "expected {expected}, got {got}",
    "too_short": "must have at least {minLength} characters",
    "too_long": "must have at most {maxLength} characters",
    "too_few": "must name at least {minItems}",
    "too_many": "must name at most {maxItems}",
    "too_small": "must be at least {minimum}",
    "too_large": "must be at most {maximum}",
    "not_allowed": "must be one of {allowed}",
    "invalid_date": "must be a date (YYYY-MM-DD)",
    "invalid_datetime": "must be a date and time (RFC 3339)",
    "invalid_uuid": "must be a UUID",
    "invalid_value": "is not valid: {problem}",
    "control_character": "contains a control or invisible character ({character}), which is not allowed",
    "blank": "must not be blank",
    "not_latin": "must be written in Latin script: {character} is not a Latin letter",
    "not_an_email": "is not an e-mail address",
    "not_a_phone": "is not a phone number (digits, spaces and + ( ) . / -)",
    "plate_character": "may contain only letters A-Z and digits 0-9: {character} is not one",
    "plate_length": "must have {minLength} to {maxLength} letters and digits once spaces and hyphens are removed",
    "country_hint": "{value} is not an ISO 3166-1 code: {hint}",
    "not_a_country": "{value} is not an ISO 3166-1 alpha-2 country code (upper case, such as DE)",
    "not_a_host_country": "{value} is not a host country of the posting rules: one of {allowed}",
    "not_a_registration_country": "{value} is not a registration country: one of {allowed}",
    "start_too_far_ahead": "a posting is declared at most {maxDaysAhead} days ahead: the start date must not be"
    " after {latestStart}",
    "ended_too_long_ago": "the posting ended more than {maxDaysEnded} days ago: the end date must not be before"
    " {earliestEnd}",
    "end_before_start": "must not be before the start date",
    "period_too_long": "the period may cover at most {maxMonths} months: the last allowed end date is {lastAllowedEnd}",
    "start_in_past": "a posting is declared before it starts: the start date must not be before today ({today}, UTC)",
    "end_in_past": "must not be in the past (today is {today}, UTC)",
    "same_as_establishment": "must differ from the operator's establishment country ({country})",
    "repeated_value": "must not name the same value twice",
    "plates_need_transport_type": "these plates need {transportType} in declarationTransportType",
    "plate_repeated": "{plate} is named twice in this declaration",
    "plate_not_registered": "{plate} is not in the operator's vehicle register",
    "plate_registered_otherwise": "{plate} is registered as {registeredAs}, not for this list",
    "plate_required": "at least one plate is required (passengers, light or heavy goods)",
    "contact_required": "is required when otherContactAsTransportManager is false",
    "contact_means_required": "an e-mail or a phone number of the contact person is required when"
    " otherContactAsTransportManager is false",
    "unknown_driver": "names no driver of this operator",
    "driver_under_age": "the driver is under {minimumAge} on the start date",
    "frozen_once_submitted": "cannot change once submitted: withdraw it and file a new declaration",
    "before_earliest": "must not be before {earliest}",
    "driver_too_young": "the driver must be at least {minimumAge} years old",
    "weight_required": "must be LIGHT or HEAVY for carriage of goods",
    "weight_not_allowed": "must be empty for carriage of passengers",
    "overlap": "declaration {declarationId} is SUBMITTED for the same driver and host country and its period overlaps",
    "overlaps_record": "record {position} of this upload is submitted for the same driver and host country and its"
    " period overlaps",
    "wrong_state": "only a {required} declaration can be {action}; this declaration is {status}",
    "duplicate_driver": "a driver with this licence number and date of birth exists already",
    "duplicate_plate": "this plate is in the register already",
    "driver_has_declarations": "the driver has declarations and cannot be deleted",
    "upload_exists": "an upload with this uploadId exists already: choose another",
    "repeated_reference": "repeats the reference of record {position}",
    "record_too_large": "the record has {size} bytes, more than {maxBytes}",
    "not_found": "no such {kind}",
    "link_invalid": "this link is not valid or has expired: ask for a new one",
    "language_unavailable": "the declaration is not translated into {language} yet; it is in {available}",
    "fields_mixed": "name {oneWay}, or {otherWay}, not a mix of both",
    "archive_empty": "no declaration with a PDF is selected (drafts have none)",
    "archive_too_large": "{count} declarations are selected, more than {maximum} in one archive: select fewer",
    "endpoint_refused": "the portal does not post to this URL: {reason}",
    "endpoint_exists": "your authority has an endpoint with this URL already",
    "not_found_in_country": "no declaration {declarationId} posted to {country}",
    "route_not_found": "no such path: see /schema for the API",
    "method_not_allowed": "this path does not answer {method}: see /schema for the API",
    "key_required": "the x-api-key header is required",
    "key_invalid": "the API key is not valid for {audience} (unknown or revoked)",
    "id_required": "the {header} header is required",
    "key_not_yours": "the API key does not belong to the {kind} named in {header}",
    "bad_parameter": "{problem}",
    "bad_cursor": "is not a lastEvaluatedKey this portal gave out",
    "bad_feed_cursor": "is not a cursor of this feed: start without one, then pass each page's next",
    "purpose_required": "the reason or case reference of this look-up is required (at least {minLength}"
    " characters): it is written to the audit log",
    "wildcard": "is matched exactly: wildcards ({wildcards}) are not searched",
    "search_key_count": "search by exactly one of plate, declarationId, licenceNumber, documentNumber, or lastName"
    " with dateOfBirth: got {given}",
    "name_needs_birth_date": "lastName and dateOfBirth go together: a name alone is not a search key",
    "too_few_characters": "needs at least {minimum} letters or digits",
    "idempotency_key_length": "must have 1 to {maxLength} characters",
    "idempotency_key_reused": "was used before with a different request: use a new key",
    "login_failed": "the e-mail address or the password is not right",
    "email_unconfirmed": "confirm this address first: follow the link the portal e-mailed to it",
    "form_expired": "this form has expired: reload the page and send it again",
    "owner_only": "only an owner of this operator may do this",
    "last_owner": "an operator keeps at least one owner: make another person an owner first",
    "internal": "internal error: it has been logged",
    "unavailable": "{service} is unavailable",
    "rate_limited": "too many requests from this address: try again in {retryAfter} seconds",
}


def placeholders(code: RefusalCode) -> set[str]:
    """The parameters the message of ``code`` names."""
    return {name for _, name, _, _ in string.Formatter().parse(MESSAGES[code]) if name}


def refusal(field: str, code: RefusalCode, **params: Param) -> FieldError:
    """The refusal ``code`` of ``field``, its message built from ``params`` (dates as ISO dates)."""
    wire = {name: value.isoformat() if isinstance(value, datetime.date) else value for name, value in params.items()}
    return FieldError(field=field, code=code, params=wire, message=MESSAGES[code].format(**wire))


class Refused(ValueError):
    """A content rule broken by one value; the caller knows which field it was and names it."""

    def __init__(self, code: RefusalCode, **params: Param) -> None:
        self.code = code
        self.params = params
        super().__init__(refusal("", code, **params).message)

    def at(self, field: str) -> FieldError:
        return refusal(field, self.code, **self.params)


CODES: tuple[RefusalCode, ...] = typing.get_args(RefusalCode)
