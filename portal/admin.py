"""``portal admin``: register operators and authorities, issue and revoke keys, apply retention, and
manage forwarding endpoints (portal.forwarding.commands)."""

import datetime
import uuid

import click
import msgspec

from portal.commands import in_transaction, on_database, refusing_bad_values, settings


@click.group()
def admin() -> None:
    """Register operators and authorities, manage their API keys and forwarding endpoints, apply retention."""


@admin.command("create-operator")
@click.option("--name", required=True, help="company name")
@click.option("--country", required=True, help="establishment country, ISO 3166-1 alpha-2 (PL)")
@click.option("--licence", help="Community licence number")
@click.option("--json", "as_json", is_flag=True, help='print only {"operatorId": ..., "apiKey": ...}')
def create_operator(name: str, country: str, licence: str | None, as_json: bool) -> None:
    """Create a transport operator and its first API key."""
    from portal.identity.service import register_operator

    operator_id, api_key = refusing_bad_values(
        lambda: in_transaction(lambda db: register_operator(db, name, country.upper(), licence))
    )
    if as_json:
        click.echo(msgspec.json.encode({"operatorId": operator_id, "apiKey": api_key}))
    else:
        click.echo(f"operatorId: {operator_id}\napiKey:     {api_key}  (shown once: keep it)")


@admin.command("create-authority")
@click.option("--name", required=True, help="authority name")
@click.option("--country", required=True, help="the host country it inspects for (FR)")
@click.option("--json", "as_json", is_flag=True, help='print only {"authorityId": ..., "apiKey": ...}')
def create_authority(name: str, country: str, as_json: bool) -> None:
    """Create an enforcement authority of a host country and its first API key."""
    from portal.identity.service import register_authority

    authority_id, api_key = refusing_bad_values(
        lambda: in_transaction(lambda db: register_authority(db, name, country.upper()))
    )
    if as_json:
        click.echo(msgspec.json.encode({"authorityId": authority_id, "apiKey": api_key}))
    else:
        click.echo(f"authorityId: {authority_id}\napiKey:      {api_key}  (shown once: keep it)")


@admin.command("issue-key")
@click.option("--holder", "holder_id", required=True, type=click.UUID, help="operatorId or authorityId")
@click.option("--label", required=True, help="what the key is for (a system, a team), to revoke it by")
@click.option("--json", "as_json", is_flag=True, help='print only {"apiKey": ...}')
def issue_key(holder_id: uuid.UUID, label: str, as_json: bool) -> None:
    """Issue another API key to an operator or an authority (shown once, stored hashed)."""
    from portal.identity.service import issue_key as issue

    api_key = refusing_bad_values(lambda: in_transaction(lambda db: issue(db, holder_id, label)))
    click.echo(msgspec.json.encode({"apiKey": api_key}) if as_json else f"apiKey: {api_key}  (shown once: keep it)")


@admin.command("revoke-key")
@click.option("--holder", "holder_id", required=True, type=click.UUID, help="operatorId or authorityId")
@click.option("--label", required=True, help="the label the keys were issued with ('initial' for the first)")
def revoke_key(holder_id: uuid.UUID, label: str) -> None:
    """Revoke an operator's or authority's keys with this label (within auth_cache_seconds everywhere)."""
    from portal.identity.repository import revoke_keys

    revoked = in_transaction(lambda db: revoke_keys(db, holder_id, label))
    if not revoked:
        raise click.ClickException(f"no live key labelled {label!r} for {holder_id}")
    click.echo(f"revoked {revoked} key(s)")


@admin.command("retention")
@click.option("--dry-run", is_flag=True, help="only say what would be deleted")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="pretend it is this day (UTC), to see what goes when")
def retention(dry_run: bool, today: datetime.datetime | None) -> None:
    """Delete the declarations, with their versions and events, past PORTAL_RETENTION_MONTHS after
    their end date, and the audit rows past PORTAL_RETENTION_AUDIT_MONTHS, by whole months.

    The worker does this every night; this command shows it or does it now.
    """
    from portal import clock
    from portal.documents.service import store_of
    from portal.retention import service

    retention = settings().retention
    day = today.date() if today else clock.today()
    if dry_run:
        found = on_database(lambda db: service.due(db, retention, day))
    else:
        store = store_of(settings())
        found = on_database(lambda db: service.apply(db, retention, day, store))
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"retention on {day}: declarations {retention.months} months after their end date,"
        f" audit rows {retention.audit_months} months after the look-up"
    )
    click.echo(f"  {verb} {found.declarations:,} declarations that ended before {found.ended_before}")
    for month in found.audit_months:
        click.echo(f"  {verb} {month.table} of {month.month:%Y-%m}: {month.rows:,} rows ({month.partition})")


def _add_forwarding_commands() -> None:
    from portal.forwarding.commands import COMMANDS

    for command in COMMANDS:
        admin.add_command(command)


_add_forwarding_commands()
