"""The operator's vehicle register (``/plate-numbers``)."""

import uuid

from schemas.base import (
    PlateInput,
    RegistrationCountry,
    RequestBody,
    ResponseBody,
    TransportType,
    VehicleWeight,
)


class VehicleFields(RequestBody, kw_only=True):
    plate_number: PlateInput
    registration_country: RegistrationCountry
    transport_type: TransportType
    # LIGHT or HEAVY for goods; empty or absent for passengers.
    vehicle_weight: VehicleWeight = ""


class Vehicle(VehicleFields, kw_only=True):
    plate_number_id: uuid.UUID


class VehicleListItem(ResponseBody, kw_only=True):
    """The official list names the type ``plateNumberTransportType``; fleet software expects it."""

    plate_number_id: uuid.UUID
    plate_number: str
    registration_country: str
    plate_number_transport_type: TransportType
    vehicle_weight: VehicleWeight


class VehiclePage(ResponseBody, kw_only=True):
    items: list[VehicleListItem]
    last_evaluated_key: str | None
    count: int
