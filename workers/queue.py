"""The one module that knows arq (in maintenance mode, so kept swappable).

Jobs are serialised with msgspec (never pickle) and carry ids only. arq's defaults are
changed where they hurt: a short health-check interval, results kept briefly so a job id can
be enqueued again, and a timeout per job function.
"""

import datetime
from collections.abc import Sequence
from typing import Any

import msgspec
from arq import cron
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.typing import StartupShutdown, WorkerCoroutine
from arq.worker import Function, Worker, func

QUEUE_NAME = "portal:jobs"
# The worker ``build_worker`` makes (its type, for those that run it).
ArqWorker = Worker


def serialize(job: dict[str, Any]) -> bytes:
    # A failed job's result is its exception: kept as its repr (msgpack has no exceptions).
    return msgspec.msgpack.encode(job, enc_hook=_exception_text)


def _exception_text(value: object) -> str:
    if isinstance(value, BaseException):
        return repr(value)
    raise NotImplementedError(f"no encoding of {type(value).__name__} in a job")


def deserialize(data: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.msgpack.decode(data)
    return decoded


def redis_settings(redis_url: str) -> RedisSettings:
    return RedisSettings.from_dsn(redis_url)


async def connect(redis_url: str) -> ArqRedis:
    return await create_pool(
        redis_settings(redis_url), job_serializer=serialize, job_deserializer=deserialize, default_queue_name=QUEUE_NAME
    )


async def enqueue(redis: ArqRedis, function: str, *args: Any, job_id: str) -> bool:
    """Enqueue a job (its arguments: ids only); False if one with ``job_id`` is queued or running."""
    return await redis.enqueue_job(function, *args, _job_id=job_id) is not None


async def waiting(redis: ArqRedis) -> int:
    """Jobs queued and not yet started."""
    count: int = await redis.zcard(QUEUE_NAME)
    return count


def job(coroutine: WorkerCoroutine, *, timeout_seconds: float, max_tries: int = 5) -> Function:
    return func(coroutine, timeout=timeout_seconds, max_tries=max_tries)


def every_seconds(coroutine: WorkerCoroutine, seconds: int, *, timeout_seconds: float) -> Any:
    """A periodic job that runs every ``seconds`` (a divisor of 60) on one worker."""
    return cron(coroutine, second=set(range(0, 60, seconds)), timeout=timeout_seconds, unique=True, run_at_startup=True)


def every_minutes(coroutine: WorkerCoroutine, minutes: int, *, timeout_seconds: float) -> Any:
    """A periodic job that runs once per ``minutes`` on one worker (arq dedupes by job id)."""
    return cron(coroutine, minute=set(range(0, 60, minutes)), timeout=timeout_seconds, unique=True, run_at_startup=True)


def daily(coroutine: WorkerCoroutine, *, hour: int, minute: int, timeout_seconds: float) -> Any:
    """A periodic job that runs once a day at ``hour``:``minute`` UTC on one worker, and at startup."""
    return cron(coroutine, hour={hour}, minute={minute}, timeout=timeout_seconds, unique=True, run_at_startup=True)


def weekly(coroutine: WorkerCoroutine, *, weekday: int, hour: int, timeout_seconds: float) -> Any:
    """A periodic job that runs once a week (``weekday`` 0 is Monday) at ``hour`` UTC, and at
    startup: what it does must be keyed so that a second run that week does nothing."""
    return cron(
        coroutine, weekday={weekday}, hour={hour}, minute={0}, timeout=timeout_seconds, unique=True, run_at_startup=True
    )


def build_worker(
    redis_url: str,
    jobs: Sequence[Function],
    periodic: Sequence[Any],
    on_startup: StartupShutdown,
    on_shutdown: StartupShutdown,
    max_jobs: int,
) -> Worker:
    return Worker(
        functions=list(jobs),
        cron_jobs=list(periodic),
        redis_settings=redis_settings(redis_url),
        queue_name=QUEUE_NAME,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        job_serializer=serialize,
        job_deserializer=deserialize,
        health_check_interval=datetime.timedelta(seconds=30),
        keep_result=datetime.timedelta(seconds=60),
        max_jobs=max_jobs,
    )
