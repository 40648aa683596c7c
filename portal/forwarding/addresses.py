"""Which endpoint URLs the portal posts to, checked when registered and again at every send.

The portal must not become a way into the network it runs in: an endpoint is https, on an
address of the public internet. Its name is resolved by us and every address it resolves to is
checked; the connection then goes to the address we checked (the name is only sent as Host and
TLS server name), so a name that resolves elsewhere a moment later (DNS rebinding) changes
nothing. Redirects are never followed (see ``sender``).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import NamedTuple
from urllib.parse import urlsplit

from portal.settings import Forwarding

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the name resolves to (a parameter, so tests can say what DNS says).
Resolver = Callable[[str, int], Awaitable[list[str]]]


class RefusedUrl(ValueError):
    """An endpoint URL the portal will not post to; the message says why."""


class Target(NamedTuple):
    """Where a POST goes: the URL with the checked address in place of the name, the Host header
    (the URL's own) and the name the TLS certificate must be for."""

    url: str
    host_header: str
    server_name: str
    address: Address


async def resolve(host: str, port: int) -> list[str]:
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in found]


def check_form(url: str, rules: Forwarding) -> tuple[str, str, int]:
    """The scheme, host and port of ``url`` if its form is allowed (without resolving it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as problem:
        raise RefusedUrl(f"not a URL: {problem}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RefusedUrl("an endpoint is an https:// URL with a host name")
    if parts.scheme == "http" and not rules.allow_http:
        raise RefusedUrl("an endpoint is https:// (http:// only where PORTAL_FORWARDING_ALLOW_HTTP is set)")
    if parts.username or parts.password:
        raise RefusedUrl("credentials do not belong in the URL: the batches are signed")
    if parts.fragment:
        raise RefusedUrl("an endpoint URL has no #fragment")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def is_public(address: Address) -> bool:
    """An address of the public internet: not private, loopback, link-local (the cloud metadata
    service is 169.254.169.254), shared, multicast, reserved or unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


async def target(url: str, rules: Forwarding, resolver: Resolver = resolve) -> Target:
    """Where to post ``url``, or RefusedUrl: every address its name resolves to must be allowed."""
    _, host, port = check_form(url, rules)
    try:
        found = [ipaddress.ip_address(address.split("%")[0]) for address in await resolver(host, port)]
    except (OSError, UnicodeError) as problem:
        raise RefusedUrl(f"{host} does not resolve: {problem}") from None
    if not found:
        raise RefusedUrl(f"{host} does not resolve")
    if not rules.allow_private:
        for address in found:
            if not is_public(address):
                raise RefusedUrl(
                    f"{host} resolves to {address}, which is not a public address"
                    " (private, loopback and link-local ones only where PORTAL_FORWARDING_ALLOW_PRIVATE is set)"
                )
    address = found[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    parts = urlsplit(url)
    pinned = parts._replace(netloc=f"{shown}:{port}").geturl()
    return Target(pinned, parts.netloc, host, address)
