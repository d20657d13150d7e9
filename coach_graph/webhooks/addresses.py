"""Where a webhook may go: `https://` only, to a public address (SSRF rule).

A URL is checked at registration (its host: an IP address in its usual form, or a name, which
is resolved) and every delivery resolves the name again and connects only to an address that
passes (`guarded_addresses`), so a name that later resolves to 127.0.0.1 or to the cloud's
metadata service is refused at that moment too. Loopback, private, shared (CGNAT),
link-local (including 169.254.169.254), metadata (fd00:ec2::254), unspecified, multicast and
reserved addresses are refused, as are IPv6 forms that embed one of them (IPv4-mapped, 6to4,
NAT64, Teredo), unless WEBHOOK_ALLOW_PRIVATE=true. An IPv4 address written in any other form
than four decimal numbers (2130706433, 0177.0.0.1, 0x7f.1) is refused outright: no receiver
needs one, and they are how filters are fooled.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from coach_graph.errors import BadUserInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# name -> the addresses it resolves to (tests pass a stub; production asks the system).
Resolver = Callable[[str], Awaitable[Sequence[str]]]

URL_LIMIT = 2000
# The cloud metadata services (AWS, GCP, Azure, ... on IPv4; AWS on IPv6).
METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """A webhook's host is (or resolves to) an address webhooks may not reach."""


async def system_resolver(host: str) -> Sequence[str]:
    """The addresses the system resolves `host` to (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not reach `address`; None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            why = refusal(inner)
            return f"{why} ({inner} inside an IPv6 address)" if why else None
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def check_address(text: str) -> IPAddress:
    """The address `text` names when it may be reached; AddressRefused otherwise."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    why = refusal(address)
    if why:
        raise AddressRefused(f"{address} is {why}")
    return address


def _ipv4_form(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host spelt as one denotes (any form inet_aton reads), else None."""
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _literal(host: str) -> IPAddress | None:
    """The IP address `host` is written as; BadUserInput for an unusual IPv4 spelling."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    odd = _ipv4_form(host)
    if odd is not None:
        raise BadUserInput(
            f"Write the IP address {odd} as four decimal numbers, not `{host}`.", field="url"
        )
    return None


def parsed_host(url: str) -> str:
    """The host of a webhook URL: `https://`, a host, no credentials; BAD_USER_INPUT else."""
    if len(url) > URL_LIMIT:
        raise BadUserInput(f"`url` is longer than {URL_LIMIT} characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadUserInput("`url` is not a valid URL.", field="url") from exc
    if parts.scheme.lower() != "https":
        raise BadUserInput("A webhook URL must start with https://.", field="url")
    if not parts.hostname:
        raise BadUserInput("`url` names no host.", field="url")
    if parts.username is not None or parts.password is not None:
        raise BadUserInput("A webhook URL may not hold a user name or password.", field="url")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise BadUserInput("`url` may not hold spaces or control characters.", field="url")
    if port == 0:
        raise BadUserInput("`url` names port 0.", field="url")
    return parts.hostname


async def guarded_addresses(
    host: str, resolver: Resolver, *, allow_private: bool
) -> list[IPAddress]:
    """The addresses to connect to for `host` (a literal or a resolved name): every one must
    pass the rule (one private answer refuses the name: DNS answers rotate). AddressRefused
    when one does not, or when the name resolves to nothing."""
    literal = _literal(host)
    if literal is not None:
        texts: Sequence[str] = [str(literal)]
    else:
        try:
            texts = await resolver(host)
        except OSError as exc:
            raise AddressRefused(f"{host} does not resolve ({exc})") from exc
        if not texts:
            raise AddressRefused(f"{host} does not resolve")
    if allow_private:
        return [ipaddress.ip_address(t.split("%", 1)[0]) for t in texts]
    if literal is not None:
        return [check_address(texts[0])]
    addresses = []
    for text in texts:
        try:
            addresses.append(check_address(text))
        except AddressRefused as exc:
            raise AddressRefused(f"{host} resolves to {exc}") from None
    return addresses


async def check_url(url: str, resolver: Resolver, *, allow_private: bool) -> str:
    """A webhook URL as registered (trimmed), checked: BAD_USER_INPUT naming why not."""
    url = url.strip()
    host = parsed_host(url)
    try:
        await guarded_addresses(host, resolver, allow_private=allow_private)
    except AddressRefused as exc:
        raise BadUserInput(f"Webhooks go to public addresses only: {exc}.", field="url") from None
    return url
