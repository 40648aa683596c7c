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
    window = int(now // WINDOW_SECONDS)
    key = f"portal:limit:{name}:{who}:{window}"
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
