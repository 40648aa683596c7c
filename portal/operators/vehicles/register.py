"""What the vehicle register says of a plate: its transport type and weight class."""

import msgspec


class RegisteredVehicle(msgspec.Struct, frozen=True):
    transport_type: str
    # LIGHT or HEAVY for goods; "" for passengers.
    vehicle_weight: str

    def describe(self) -> str:
        """As people say it: ``CARRIAGE_OF_GOODS HEAVY``, or ``CARRIAGE_OF_PASSENGERS``."""
        return " ".join(filter(None, (self.transport_type, self.vehicle_weight)))
