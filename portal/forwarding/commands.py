"""``portal admin`` commands of forwarding: endpoints, their secrets, their state, redrives."""

import datetime
import uuid
from collections.abc import Callable
from typing import TypeVar

import click
import msgspec

from portal.commands import in_transaction, on_database, settings
from portal.errors import ApiError
from schemas.forwarding import Endpoint

T = TypeVar("T")


def _refusing(action: Callable[[], T]) -> T:
    """Run ``action``; what the service refuses is the command's error, in the API's words."""
    try:
        return action()
    except ApiError as problem:
        raise click.ClickException(problem.message) from None


@click.command("add-endpoint")
@click.option("--authority", "authority_id", required=True, type=click.UUID, help="the authorityId it belongs to")
@click.option("--url", required=True, help="where the batches are posted (https://, a public address)")
@click.option("--json", "as_json", is_flag=True, help='print only {"endpointId": ..., "url": ..., "secret": ...}')
def add_endpoint(authority_id: uuid.UUID, url: str, as_json: bool) -> None:
    """Register an endpoint the authority's country's events are posted to, and print its secret
    (whsec_..., shown once: the receiver verifies the signatures with it).

    http:// and private, loopback or link-local addresses are refused unless
    PORTAL_FORWARDING_ALLOW_HTTP / PORTAL_FORWARDING_ALLOW_PRIVATE are set (demos and tests).
    """
    from portal.forwarding import service

    made = _refusing(lambda: in_transaction(lambda db: service.register(db, settings(), authority_id, url)))
    if as_json:
        click.echo(msgspec.json.encode(made))
    else:
        click.echo(f"endpointId: {made.endpoint_id}\nurl:        {made.url}\nsecret:     {made.secret}  (shown once)")


@click.command("endpoints")
@click.option("--authority", "authority_id", type=click.UUID, help="only this authority's")
@click.option("--json", "as_json", is_flag=True, help="print the list as GET /authority/endpoints answers it")
def endpoints(authority_id: uuid.UUID | None, as_json: bool) -> None:
    """List the forwarding endpoints and how delivery to each stands: backlog, oldest pending
    event, last success, failures in a row, dead (parked) events."""
    from portal.forwarding import service

    found = on_database(lambda db: service.listed(db, authority_id))
    if as_json:
        click.echo(msgspec.json.encode(found))
        return
    if not found.items:
        click.echo("no endpoint yet: `portal admin add-endpoint --authority ID --url URL`")
    for endpoint in found.items:
        for line in _described(endpoint):
            click.echo(line)


def _described(endpoint: Endpoint) -> list[str]:
    def when(moment: datetime.datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "never"

    state = endpoint.state if endpoint.state == "ACTIVE" else f"{endpoint.state} ({endpoint.disabled_reason})"
    lines = [
        f"{endpoint.endpoint_id}  {endpoint.posting_country}  {endpoint.url}  {state}",
        f"  backlog {endpoint.backlog:,} events"
        + (f", the oldest pending since {when(endpoint.oldest_pending_at)}" if endpoint.oldest_pending_at else ""),
        f"  last success {when(endpoint.last_success_at)}, failure streak {endpoint.failure_streak}"
        + (
            f" since {when(endpoint.failing_since)}, next attempt {when(endpoint.next_attempt_at)}"
            if endpoint.failure_streak
            else ""
        ),
        f"  dead {endpoint.dead:,} events, being re-driven {endpoint.redriving:,}",
    ]
    if endpoint.last_error:
        lines.append(f"  last error: {endpoint.last_error}")
    return lines


@click.command("disable-endpoint")
@click.option("--endpoint", "endpoint_id", required=True, type=click.UUID)
def disable_endpoint(endpoint_id: uuid.UUID) -> None:
    """Stop posting to an endpoint; what it has not taken waits until it is enabled again."""
    from portal.forwarding import service

    _refusing(lambda: in_transaction(lambda db: service.set_active(db, endpoint_id, None, active=False)))
    click.echo(f"disabled {endpoint_id}")


@click.command("enable-endpoint")
@click.option("--endpoint", "endpoint_id", required=True, type=click.UUID)
def enable_endpoint(endpoint_id: uuid.UUID) -> None:
    """Post to a disabled endpoint again (one disabled by a 410 from its receiver too)."""
    from portal.forwarding import service

    _refusing(lambda: in_transaction(lambda db: service.set_active(db, endpoint_id, None, active=True)))
    click.echo(f"enabled {endpoint_id}")


@click.command("rotate-secret")
@click.option("--endpoint", "endpoint_id", required=True, type=click.UUID)
@click.option(
    "--overlap-hours",
    type=click.IntRange(0, 720),
    help="hours the secret before keeps signing beside the new one [default: PORTAL_FORWARDING_SECRET_OVERLAP_HOURS]",
)
@click.option("--json", "as_json", is_flag=True, help="print only the JSON answer")
def rotate_secret(endpoint_id: uuid.UUID, overlap_hours: int | None, as_json: bool) -> None:
    """Give an endpoint a new secret (shown once). Batches carry a signature with each secret
    until the overlap ends, so the receiver can switch to the new one meanwhile."""
    from portal.forwarding import service

    hours = settings().forwarding.secret_overlap_hours if overlap_hours is None else overlap_hours
    made = _refusing(lambda: in_transaction(lambda db: service.rotate(db, settings(), endpoint_id, None, hours)))
    if as_json:
        click.echo(msgspec.json.encode(made))
    else:
        click.echo(f"secret: {made.secret}  (shown once)")
        if made.previous_secret_expires_at:
            click.echo(f"the secret before signs too until {made.previous_secret_expires_at:%Y-%m-%d %H:%M:%S} UTC")


@click.command("redrive")
@click.option("--endpoint", "endpoint_id", required=True, type=click.UUID)
@click.option("--since", type=click.DateTime(), help="only events filed from then (UTC)")
@click.option("--until", type=click.DateTime(), help="only events filed before then (UTC)")
def redrive(endpoint_id: uuid.UUID, since: datetime.datetime | None, until: datetime.datetime | None) -> None:
    """Deliver again an endpoint's dead events (parked after an outage longer than
    PORTAL_FORWARDING_OUTAGE_HOURS), each declaration's in version order."""
    from portal.forwarding import service

    def utc(moment: datetime.datetime | None) -> datetime.datetime | None:
        return moment.replace(tzinfo=datetime.UTC) if moment else None

    found = _refusing(lambda: in_transaction(lambda db: service.redrive(db, endpoint_id, None, utc(since), utc(until))))
    click.echo(f"re-driving {found.redriven:,} events to {endpoint_id}")


COMMANDS = (add_endpoint, endpoints, disable_endpoint, enable_endpoint, rotate_secret, redrive)
