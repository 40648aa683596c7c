"""The zero-set-up default: private PostgreSQL and Redis that stop cleanly and keep their data."""

import asyncio
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis

from portal.embedded import EmbeddedServices, services_for


async def _write_row(database_url: str, note: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("CREATE TABLE survival (note text NOT NULL)")
        await connection.execute("INSERT INTO survival (note) VALUES ($1)", note)
    finally:
        await connection.close()


async def _read_notes(database_url: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        return [row["note"] for row in await connection.fetch("SELECT note FROM survival")]
    finally:
        await connection.close()


async def _connect_once(database_url: str) -> None:
    connection = await asyncpg.connect(database_url, timeout=2)
    await connection.close()


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])


def _gone(pid: int) -> bool:
    # pg_ctl daemonises PostgreSQL, so its parent is whatever reaps orphans here; a zombie
    # left behind by a lazy init process holds no socket, memory or files: it counts as gone.
    try:
        status: str = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return True
    zombie: str = psutil.STATUS_ZOMBIE
    return status == zombie


def test_stop_ends_the_processes_and_start_finds_the_data_again(tmp_path: Path) -> None:
    services = EmbeddedServices(tmp_path).start()
    try:
        database_url, redis_url = services.database_url, services.redis_url
        asyncio.run(_write_row(database_url, "declared"))
        with redis.Redis.from_url(redis_url) as cache:
            cache.set("queued-job", b"declaration-1")
            redis_pid = int(cache.info("server")["process_id"])
        postgres_pid = _postmaster_pid(tmp_path)
    finally:
        services.stop()

    assert _gone(postgres_pid), "PostgreSQL still runs after stop()"
    assert not (tmp_path / "postgres" / "postmaster.pid").exists(), "PostgreSQL did not shut down cleanly"
    with pytest.raises((OSError, asyncpg.PostgresError)):
        asyncio.run(_connect_once(database_url))
    assert _gone(redis_pid), "Redis still runs after stop()"
    with pytest.raises(redis.ConnectionError), redis.Redis.from_url(redis_url) as cache:
        cache.ping()

    with EmbeddedServices(tmp_path) as again:
        assert asyncio.run(_read_notes(again.database_url)) == ["declared"]
        with redis.Redis.from_url(again.redis_url) as cache:
            assert cache.get("queued-job") == b"declaration-1"


def test_given_urls_are_used_and_nothing_is_started(tmp_path: Path) -> None:
    given = ("postgresql://portal@db.example/portal", "redis://cache.example:6379/0")
    with services_for(*given, tmp_path / "data") as urls:
        assert urls == given
        assert not (tmp_path / "data").exists(), "an embedded server was started"


def test_only_the_missing_server_is_started(tmp_path: Path) -> None:
    database_url = "postgresql://portal@db.example/portal"
    with services_for(database_url, "", tmp_path) as (used_database_url, redis_url):
        assert used_database_url == database_url
        assert not (tmp_path / "postgres").exists(), "PostgreSQL was started although DATABASE_URL was given"
        with redis.Redis.from_url(redis_url) as cache:
            assert cache.ping()
