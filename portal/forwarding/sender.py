"""One attempt to post a signed batch to an endpoint, and what its answer means."""

import email.utils
import time
from collections.abc import Sequence
from typing import NamedTuple

import httpx

from portal.forwarding import addresses
from portal.forwarding.signature import signature
from portal.settings import Forwarding

# What is read of an answer: receivers answer briefly, and one that does not is not read on.
_ANSWER_BYTES = 4096


class Outcome(NamedTuple):
    delivered: bool
    # 410 Gone: the receiver wants no more; the endpoint is disabled.
    gone: bool = False
    # 429 or 503 with Retry-After: how many seconds it asked for.
    retry_after: float | None = None
    error: str | None = None


def client(rules: Forwarding) -> httpx.AsyncClient:
    """The client of every endpoint of a worker: connections kept, no redirect ever followed."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(rules.timeout_seconds),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        headers={"user-agent": "posting-portal-forwarding/1", "content-type": "application/json"},
    )


async def post(
    http: httpx.AsyncClient,
    rules: Forwarding,
    url: str,
    secrets: Sequence[str],
    webhook_id: str,
    body: bytes,
    resolver: addresses.Resolver = addresses.resolve,
) -> Outcome:
    """Post ``body`` to ``url``, signed with ``secrets``, to the address checked just now."""
    try:
        target = await addresses.target(url, rules, resolver)
    except addresses.RefusedUrl as problem:
        return Outcome(False, error=f"refused: {problem}")
    timestamp = int(time.time())
    headers = {
        "host": target.host_header,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets, webhook_id, timestamp, body),
    }
    # The certificate is checked for the name, while the connection goes to the checked address.
    extensions = {"sni_hostname": target.server_name} if url.startswith("https:") else {}
    try:
        async with http.stream("POST", target.url, content=body, headers=headers, extensions=extensions) as answer:
            async for _ in answer.aiter_bytes(_ANSWER_BYTES):
                break
    except httpx.HTTPError as problem:
        return Outcome(False, error=f"{type(problem).__name__}: {problem}" if str(problem) else type(problem).__name__)
    status = answer.status_code
    if 200 <= status < 300:
        return Outcome(True)
    if status == 410:
        return Outcome(False, gone=True, error="HTTP 410 Gone: the receiver asked for no more")
    retry_after = _seconds(answer.headers.get("retry-after")) if status in (429, 503) else None
    return Outcome(False, retry_after=retry_after, error=f"HTTP {status}")


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after)
    try:
        when = email.utils.parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
