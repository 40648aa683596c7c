"""The error body every refusal uses, so that a client parses one shape.

Each error names the field it is about by its JSON path, a stable machine ``code`` from the
list below, the ``params`` its message needs, and the English ``message`` built from them: fleet
software acts on the code, and pages render it in the reader's language from code and params.
"""

from typing import Literal

import msgspec

from schemas.base import ResponseBody

RefusalCode = Literal[
    # The body as a whole
    "body_empty",
    "body_not_json",
    "body_not_utf8",
    "body_too_deep",
    "body_not_object",
    "body_too_large",
    "media_type",
    # A field's presence and JSON type
    "required",
    "unknown_field",
    "wrong_type",
    "too_short",
    "too_long",
    "too_few",
    "too_many",
    "too_small",
    "too_large",
    "not_allowed",
    "invalid_date",
    "invalid_datetime",
    "invalid_uuid",
    "invalid_value",
    # A field's content
    "control_character",
    "blank",
    "not_latin",
    "not_an_email",
    "not_a_phone",
    "plate_character",
    "plate_length",
    "country_hint",
    "not_a_country",
    "not_a_host_country",
    "not_a_registration_country",
    # The rules of a declaration
    "start_too_far_ahead",
    "ended_too_long_ago",
    "end_before_start",
    "period_too_long",
    "start_in_past",
    "end_in_past",
    "same_as_establishment",
    "repeated_value",
    "plates_need_transport_type",
    "plate_repeated",
    "plate_not_registered",
    "plate_registered_otherwise",
    "plate_required",
    "contact_required",
    "contact_means_required",
    "unknown_driver",
    "driver_under_age",
    "frozen_once_submitted",
    # Documents
    "link_invalid",
    "language_unavailable",
    "fields_mixed",
    "archive_empty",
    "archive_too_large",
    # Drivers and vehicles
    "before_earliest",
    "driver_too_young",
    "weight_required",
    "weight_not_allowed",
    # Forwarding endpoints
    "endpoint_refused",
    "endpoint_exists",
    # Conflicts with what is stored
    "overlap",
    "overlaps_record",
    "wrong_state",
    "duplicate_driver",
    "duplicate_plate",
    "driver_has_declarations",
    "upload_exists",
    "repeated_reference",
    "record_too_large",
    # Finding things
    "not_found",
    "not_found_in_country",
    "route_not_found",
    "method_not_allowed",
    # Who is calling
    "key_required",
    "key_invalid",
    "id_required",
    "key_not_yours",
    # People on the web pages
    "login_failed",
    "email_unconfirmed",
    "form_expired",
    "owner_only",
    "last_owner",
    # Query parameters and headers
    "bad_parameter",
    "bad_cursor",
    "bad_feed_cursor",
    "purpose_required",
    "wildcard",
    "search_key_count",
    "name_needs_birth_date",
    "too_few_characters",
    "idempotency_key_length",
    "idempotency_key_reused",
    # The portal itself
    "internal",
    "unavailable",
    "rate_limited",
]


class FieldError(ResponseBody, kw_only=True):
    # The JSON path of the field (``declarationVehiclePlateNumberHeavy[1]``), a header or query
    # parameter's name, or "" for the request as a whole.
    field: str = msgspec.field(name="field")
    code: RefusalCode
    params: dict[str, str | int] = msgspec.field(default_factory=dict)
    message: str


class ErrorBody(ResponseBody, kw_only=True):
    message: str
    errors: list[FieldError] = msgspec.field(default_factory=list)
