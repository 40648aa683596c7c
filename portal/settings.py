"""All configuration, read once from environment variables into one typed Struct.

No other module reads ``os.environ``: they ask for ``get_settings()``.
"""

import functools
import os
from pathlib import Path

import msgspec

PREFIX = "PORTAL_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # Empty means: start the embedded PostgreSQL / Redis under data_dir.
    database_url: str = ""
    redis_url: str = ""
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    # The address people and QR codes reach the portal at; defaults to http://host:port.
    public_url: str = ""
    db_pool_min: int = 2
    db_pool_max: int = 10
    # Bodies above this answer 413 (the bulk route has its own limit).
    max_body_bytes: int = 1_000_000
    # A revoked API key stops working within this many seconds in every server process.
    auth_cache_seconds: float = 5.0
    idempotency_key_hours: int = 24
    # Declarations, their versions and outbox rows are deleted this long after their end date
    # (in whole months: at most a month later).
    retention_months: int = 24
    # Audit rows of authority look-ups outlive the declarations they name, so that a look-up
    # can still be accounted for after the record is gone.
    audit_retention_months: int = 36
    log_level: str = "INFO"
    log_json: bool = False
    # One line per request: method, route template, status, milliseconds (never the query).
    access_log: bool = True

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


# DATABASE_URL and REDIS_URL are the conventional names; everything else carries the prefix.
_UNPREFIXED = {"database_url": "DATABASE_URL", "redis_url": "REDIS_URL"}


def read_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment), refusing bad values."""
    environ = dict(os.environ if environ is None else environ)
    raw: dict[str, str] = {}
    for field in msgspec.structs.fields(Settings):
        name = _UNPREFIXED.get(field.name, PREFIX + field.name.upper())
        if name in environ:
            raw[field.name] = environ[name]
    # Environment values are strings: lax conversion parses "8000" and "true".
    return msgspec.convert(raw, Settings, strict=False, dec_hook=_decode_path)


def _decode_path(type_: type, value: object) -> Path:
    if type_ is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"no conversion to {type_}")


@functools.cache
def get_settings() -> Settings:
    return read_settings()


def export_for_children(settings: Settings, metrics_dir: Path | None = None) -> None:
    """Put ``settings`` into the environment, for the server and worker processes started next.

    With ``metrics_dir``, prometheus-client keeps each process's metrics there and ``/metrics``
    adds them up, whichever server process answers the scrape.
    """
    for field in msgspec.structs.fields(Settings):
        name = _UNPREFIXED.get(field.name, PREFIX + field.name.upper())
        value = getattr(settings, field.name)
        os.environ[name] = str(value).lower() if isinstance(value, bool) else str(value)
    if metrics_dir is not None:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    get_settings.cache_clear()
