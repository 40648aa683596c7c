"""``portal admin``: register operators and authorities from the command line."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import click
import msgspec

from portal.settings import get_settings


def _run_in_transaction(
    action: Callable[[asyncpg.Connection], Awaitable[tuple[uuid.UUID, str]]],
) -> tuple[uuid.UUID, str]:
    from portal.db import migrate
    from portal.embedded import services_for

    settings = get_settings()

    async def run(database_url: str) -> tuple[uuid.UUID, str]:
        await migrate(database_url)
        db = await asyncpg.connect(database_url)
        try:
            async with db.transaction():
                return await action(db)
        finally:
            await db.close()

    with services_for(settings.database_url, "-", settings.data_dir) as (database_url, _):
        return asyncio.run(run(database_url))


def _refuse_value_errors(action: Callable[[], tuple[uuid.UUID, str]]) -> tuple[uuid.UUID, str]:
    try:
        return action()
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None


@click.group()
def admin() -> None:
    """Register operators and authorities (prints their first API key, shown only once)."""


@admin.command("create-operator")
@click.option("--name", required=True, help="company name")
@click.option("--country", required=True, help="establishment country, ISO 3166-1 alpha-2 (PL)")
@click.option("--licence", help="Community licence number")
@click.option("--json", "as_json", is_flag=True, help='print only {"operatorId": ..., "apiKey": ...}')
def create_operator(name: str, country: str, licence: str | None, as_json: bool) -> None:
    """Create a transport operator and its first API key."""
    from portal.operators.service import register_operator

    operator_id, api_key = _refuse_value_errors(
        lambda: _run_in_transaction(lambda db: register_operator(db, name, country.upper(), licence))
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
    from portal.operators.service import register_authority

    authority_id, api_key = _refuse_value_errors(
        lambda: _run_in_transaction(lambda db: register_authority(db, name, country.upper()))
    )
    if as_json:
        click.echo(msgspec.json.encode({"authorityId": authority_id, "apiKey": api_key}))
    else:
        click.echo(f"authorityId: {authority_id}\napiKey:      {api_key}  (shown once: keep it)")
