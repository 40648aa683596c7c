"""All configuration, read once from environment variables into typed groups, one per concern.

The application (``create_app(settings)``) and the worker (``workers.main.run(settings)``) are
handed a ``Settings`` and read nothing else; only the command line reads the environment
(``read_settings``). Each field is the environment variable ``PORTAL_`` + its group's prefix +
its name in upper case (``bulk.batch_size`` is ``PORTAL_BULK_BATCH_SIZE``), but for the
conventional ``DATABASE_URL`` and ``REDIS_URL``.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec

Positive = Annotated[int, msgspec.Meta(ge=1)]


class Database(msgspec.Struct, frozen=True, kw_only=True):
    # Empty: start the embedded PostgreSQL under data_dir.
    url: str = ""
    # Connections per server process for filing and reads; roadside look-ups have a pool of their own.
    pool_min: Positive = 2
    pool_max: Positive = 10
    lookup_pool_max: Positive = 10


class Redis(msgspec.Struct, frozen=True, kw_only=True):
    # Empty: start the embedded Redis under data_dir.
    url: str = ""


class Http(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    # The address people and QR codes reach the portal at; defaults to http://host:port.
    public_url: str = ""
    # Server processes of ``portal serve``.
    workers: Positive = 2
    # Bodies above this answer 413 (the bulk route has no limit: it is streamed).
    max_body_bytes: Positive = 1_000_000


class Auth(msgspec.Struct, frozen=True, kw_only=True):
    # A revoked API key stops working within this many seconds in every server process.
    cache_seconds: Annotated[float, msgspec.Meta(ge=0)] = 5.0


class Idempotency(msgspec.Struct, frozen=True, kw_only=True):
    # How long a retry with the same Idempotency-Key replays the first answer.
    key_hours: Positive = 24


class Bulk(msgspec.Struct, frozen=True, kw_only=True):
    # Records filed per transaction: larger batches file faster and hold more in memory.
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 5000
    # Uploads file in this many partitions at once, split by driver, each on its own connection.
    # One on a 2-core machine: PostgreSQL and the checking in Python share the CPU already, and
    # a second partition measured no faster while it held twice the batches in memory.
    # At most 8: each has a filing lock, and a single change takes every one (operators.repository).
    partitions: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    # A server stopped for a deploy finishes the batch in hand within this time and marks the
    # upload INTERRUPTED; the worker's sweep marks those of a killed server.
    stop_seconds: Annotated[float, msgspec.Meta(ge=0)] = 20.0


class Retention(msgspec.Struct, frozen=True, kw_only=True):
    # Declarations, their versions and events are deleted this long after their end date.
    months: Positive = 24
    # Audit rows of authority look-ups outlive the declarations they name, so that a look-up
    # can still be accounted for after the record is gone (whole months).
    audit_months: Positive = 36
    # Months of the audit log prepared ahead of today.
    months_ahead: Positive = 24
    # When the worker applies retention each day (UTC): when filing is quiet.
    hour: Annotated[int, msgspec.Meta(ge=0, le=23)] = 2
    minute: Annotated[int, msgspec.Meta(ge=0, le=59)] = 30


class Worker(msgspec.Struct, frozen=True, kw_only=True):
    db_pool_max: Positive = 4
    # Jobs one worker process runs at once.
    max_jobs: Positive = 20
    # How often stored answers of Idempotency-Keys past their hours are forgotten, and
    # interrupted bulk uploads are marked.
    sweep_minutes: Annotated[int, msgspec.Meta(ge=1, le=59)] = 15


class Documents(msgspec.Struct, frozen=True, kw_only=True):
    # Where PDFs are kept, each under the SHA-256 of its bytes; empty: documents/ under data_dir.
    store_path: str = ""
    # Or an S3-compatible bucket (needs the s3 extra; credentials as boto3 reads them), its
    # endpoint (empty: AWS's) and the prefix of the portal's objects in it.
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_prefix: str = "documents/"
    # How long a download link of POST /declarations/{id}/print works.
    link_minutes: Positive = 60
    # Rendering processes of each worker, and of each server process for a PDF asked for
    # before the worker rendered it.
    render_processes: Positive = 1
    # Jobs a rendering process runs before it is replaced: weasyprint's caches grow.
    jobs_per_process: Positive = 50
    # An archive of PDFs (POST /declarations/pdf-archive) is deleted this long after it was asked for.
    archive_days: Positive = 7
    # Pages a rendering job lays out: a warm process lays out a batch faster than one page a call.
    pages_per_job: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    # How often the worker turns new events into deliveries and enqueues what is due.
    drain_seconds: Annotated[int, msgspec.Meta(ge=1, le=30)] = 2
    # Events a drain step takes in one transaction: a backlog goes in parts of this size, so that
    # its first events are printed and forwarded while the rest waits.
    drain_events: Annotated[int, msgspec.Meta(ge=100)] = 25_000
    # A delivery enqueued this long ago and not done is enqueued again (a lost queue, a killed worker).
    requeue_seconds: Positive = 600
    # A job has this long to do the deliveries it claimed; then another job may claim them.
    lease_seconds: Positive = 300
    # Attempts before a delivery is FAILED; the wait doubles after each, from retry_seconds.
    max_attempts: Positive = 6
    retry_seconds: Positive = 30
    # Jobs waiting in the queue at most: a large bulk upload waits in PostgreSQL, not in Redis.
    queued_max: Positive = 200


class Mail(msgspec.Struct, frozen=True, kw_only=True):
    # The relay: smtp://[user:password@]host[:port] (STARTTLS where offered) or smtps:// (TLS from
    # the first byte); empty: a local sink that keeps every message as a .eml file in data_dir/mail.
    smtp_url: str = ""
    # The From of every message.
    sender: str = "Posting declarations <no-reply@portal.invalid>"
    # An SMTP conversation that takes longer is a failed attempt, retried as deliveries are.
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    # The weekly e-mail to drivers (where an operator turns it on): the day (0 is Monday) and
    # hour (UTC) it is sent, and how far ahead a coming declaration is listed.
    weekly_weekday: Annotated[int, msgspec.Meta(ge=0, le=6)] = 0
    weekly_hour: Annotated[int, msgspec.Meta(ge=0, le=23)] = 6
    weekly_days_ahead: Annotated[int, msgspec.Meta(ge=0, le=365)] = 30


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    # Answers of GET /verify/{token} per client address and minute; more answer 429.
    per_minute: Positive = 60


class Forwarding(msgspec.Struct, frozen=True, kw_only=True):
    # Events per POST to an endpoint.
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 500
    # A POST that has not been answered by then is a failed attempt.
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    # Endpoints may be http:// URLs, or have private, loopback or link-local addresses: only for
    # demos and tests (``portal serve --demo`` allows both for its own receiver).
    allow_http: bool = False
    allow_private: bool = False
    # The first retry waits about this long, each one after twice as long (with jitter), up to
    # the maximum; answers of 429 and 503 wait as their Retry-After says (up to the same maximum).
    retry_seconds: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    max_retry_seconds: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    # After this many failures in a row an endpoint's circuit is open: it is only probed, one
    # batch at a time, when its wait is over.
    breaker_failures: Positive = 5
    # Events an endpoint has not taken for this long are parked as dead (re-drivable).
    outage_hours: Annotated[float, msgspec.Meta(gt=0)] = 72.0
    # How long the secret before keeps signing beside a new one after a rotation, by default.
    secret_overlap_hours: Annotated[int, msgspec.Meta(ge=0, le=720)] = 24
    # A job sends to one endpoint for at most this long, then makes room for the others; a job
    # that dies leaves its endpoint to the next after its lease.
    run_seconds: Positive = 30
    lease_seconds: Positive = 30


class Web(msgspec.Struct, frozen=True, kw_only=True):
    # A web session ends this long after its login (and at logout or a password change).
    session_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 12
    # Login attempts a minute per account and per client address; more are refused a while.
    logins_per_minute_account: Positive = 5
    logins_per_minute_address: Positive = 30


class Log(msgspec.Struct, frozen=True, kw_only=True):
    level: str = "INFO"
    json: bool = False
    # One line per request: method, route template, status, milliseconds (never the query).
    access: bool = True


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path("var")
    database: Database = Database()
    redis: Redis = Redis()
    http: Http = Http()
    auth: Auth = Auth()
    idempotency: Idempotency = Idempotency()
    bulk: Bulk = Bulk()
    retention: Retention = Retention()
    worker: Worker = Worker()
    documents: Documents = Documents()
    delivery: Delivery = Delivery()
    mail: Mail = Mail()
    verification: Verification = Verification()
    forwarding: Forwarding = Forwarding()
    web: Web = Web()
    log: Log = Log()
    # Signs download links; empty: a random key kept in data_dir (set one where several hosts serve).
    secret_key: str = ""

    @property
    def document_store(self) -> Path:
        return Path(self.documents.store_path) if self.documents.store_path else self.data_dir / "documents"

    @property
    def mail_folder(self) -> Path:
        """Where the embedded sink keeps the messages it is sent."""
        return self.data_dir / "mail"

    @property
    def base_url(self) -> str:
        return self.http.public_url or f"http://{self.http.host}:{self.http.port}"


PREFIX = "PORTAL_"
# The environment prefix of each group (after PORTAL_); "" puts its fields at the top.
_GROUP_PREFIX = {
    "database": "DB_",
    "redis": "REDIS_",
    "http": "",
    "auth": "AUTH_",
    "idempotency": "IDEMPOTENCY_",
    "bulk": "BULK_",
    "retention": "RETENTION_",
    "worker": "WORKER_",
    "documents": "DOCUMENTS_",
    "delivery": "DELIVERY_",
    "mail": "MAIL_",
    "verification": "VERIFY_",
    "forwarding": "FORWARDING_",
    "web": "WEB_",
    "log": "LOG_",
}
# The conventional names, without the prefix.
_CONVENTIONAL = {("database", "url"): "DATABASE_URL", ("redis", "url"): "REDIS_URL"}


def variables() -> Iterator[tuple[str, str | None, str]]:
    """Every setting as (environment variable, group or None, field), in the order of the Structs."""
    for field in msgspec.structs.fields(Settings):
        if field.name not in _GROUP_PREFIX:
            yield PREFIX + field.name.upper(), None, field.name
            continue
        for member in msgspec.structs.fields(field.type):
            name = _CONVENTIONAL.get((field.name, member.name))
            yield name or PREFIX + _GROUP_PREFIX[field.name] + member.name.upper(), field.name, member.name


def read_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment), refusing bad values."""
    environ = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {}
    for variable, group, name in variables():
        if variable in environ:
            (raw.setdefault(group, {}) if group else raw)[name] = environ[variable]
    # Environment values are strings: lax conversion parses "8000" and "true".
    try:
        return msgspec.convert(raw, Settings, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as problem:
        # "Expected `int` <= 8 - at `$.bulk.partitions`" names the variable, not the path.
        message, _, where = str(problem).partition(" - at `$.")
        names = {f"{group}.{name}" if group else name: variable for variable, group, name in variables()}
        raise msgspec.ValidationError(f"{names.get(where.rstrip('`'), where)}: {message}") from None


def _decode_path(type_: type, value: object) -> Path:
    if type_ is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"no conversion to {type_}")


def as_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as environment variables: what the server and worker processes started next read."""
    environment = {}
    for variable, group, name in variables():
        value = getattr(getattr(settings, group) if group else settings, name)
        environment[variable] = str(value).lower() if isinstance(value, bool) else str(value)
    return environment


def replace(settings: Settings, **groups: dict[str, Any]) -> Settings:
    """``settings`` with some fields of some groups changed: ``replace(s, http={"port": 8001})``."""
    changed = {group: msgspec.structs.replace(getattr(settings, group), **fields) for group, fields in groups.items()}
    return msgspec.structs.replace(settings, **changed)
