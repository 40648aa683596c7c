"""Prometheus metrics of forwarding, per endpoint: what was sent, and how each endpoint stands.

The worker sets them (``workers.forwarding``); ``/metrics`` of ``portal serve`` adds up every
process's. Gauges keep the most recent value any process set.
"""

from prometheus_client import Counter, Gauge

from schemas.forwarding import Endpoint

EVENTS_DELIVERED = Counter(
    "portal_forwarding_events_delivered", "Events an endpoint's receiver took (2xx)", ["endpoint"]
)
ATTEMPTS = Counter("portal_forwarding_attempts", "Batches posted, by outcome", ["endpoint", "outcome"])

_GAUGES = {
    "backlog": Gauge(
        "portal_forwarding_backlog_events", "Events not yet delivered", ["endpoint"], multiprocess_mode="mostrecent"
    ),
    "oldest": Gauge(
        "portal_forwarding_oldest_pending_seconds",
        "Age of the oldest event not yet delivered",
        ["endpoint"],
        multiprocess_mode="mostrecent",
    ),
    "success": Gauge(
        "portal_forwarding_last_success_timestamp_seconds",
        "When the receiver last took a batch (Unix time)",
        ["endpoint"],
        multiprocess_mode="mostrecent",
    ),
    "streak": Gauge(
        "portal_forwarding_failure_streak", "Failed attempts in a row", ["endpoint"], multiprocess_mode="mostrecent"
    ),
    "dead": Gauge(
        "portal_forwarding_dead_events",
        "Events parked after a long outage",
        ["endpoint"],
        multiprocess_mode="mostrecent",
    ),
}


def observe(rows: list[Endpoint], now: float) -> None:
    for row in rows:
        endpoint = str(row.endpoint_id)
        _GAUGES["backlog"].labels(endpoint).set(row.backlog)
        oldest = row.oldest_pending_at
        _GAUGES["oldest"].labels(endpoint).set(now - oldest.timestamp() if oldest else 0)
        _GAUGES["success"].labels(endpoint).set(row.last_success_at.timestamp() if row.last_success_at else 0)
        _GAUGES["streak"].labels(endpoint).set(row.failure_streak)
        _GAUGES["dead"].labels(endpoint).set(row.dead)
