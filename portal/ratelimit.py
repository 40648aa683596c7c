"""Fixed-window rate limits kept in Redis, shared by every server process.

Where Redis cannot be reached the request is let through (and logged): a roadside check must
not fail because the counter is gone, and the limit is a brake on guessing, not a gate.
"""

import time

import redis.asyncio as redis
import structlog

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 60


async def wait_seconds(client: redis.Redis, name: str, who: str, per_window: int) -> int | None:
    """Count one request of ``who`` under ``name``; the seconds left in the window if it is one
    too many, else None."""
    now = time.time()
    key = _key(name, who, now)
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
    except (redis.RedisError, OSError) as problem:
        log.warning("rate limit not counted", limit=name, error=type(problem).__name__)
        return None
    if count <= per_window:
        return None
    return max(1, WINDOW_SECONDS - int(now) % WINDOW_SECONDS)


def _key(name: str, who: str, now: float) -> str:
    return f"portal:limit:{name}:{who}:{int(now // WINDOW_SECONDS)}"


async def blocked_seconds(client: redis.Redis, name: str, who: str, per_window: int) -> int | None:
    """The seconds left in the window if ``who`` has had ``per_window`` failures counted in it
    (see ``count_failure``), else None; nothing is counted."""
    now = time.time()
    try:
        count = int(await client.get(_key(name, who, now)) or 0)
    except (redis.RedisError, OSError) as problem:
        log.warning("rate limit not read", limit=name, error=type(problem).__name__)
        return None
    return max(1, WINDOW_SECONDS - int(now) % WINDOW_SECONDS) if count >= per_window else None


async def count_failure(client: redis.Redis, name: str, who: str) -> None:
    """One failure of ``who`` under ``name`` (a wrong password): only failures count towards
    ``blocked_seconds``, so a person who logs in often is never held back."""
    key = _key(name, who, time.time())
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            await pipe.execute()
    except (redis.RedisError, OSError) as problem:
        log.warning("rate limit not counted", limit=name, error=type(problem).__name__)
