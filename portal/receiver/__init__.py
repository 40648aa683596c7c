"""The reference receiver of forwarded events (``portal receiver``): what an authority's
integrator runs to watch forwarding work end to end, and what the portal's benchmark and fault
tests deliver to. ``portal.receiver.server`` has its Python API (``Receiver``, ``serve``)."""
