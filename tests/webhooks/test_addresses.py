"""The SSRF rule, checked through the address rule itself and a stub resolver: no test here
opens a connection."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from coach_graph.errors import BadUserInput
from coach_graph.webhooks.addresses import (
    AddressRefused,
    check_url,
    guarded_addresses,
    refusal,
)

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "169.254.169.254",  # cloud metadata
    "169.254.10.10",  # link-local
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fe80::1",
    "fc00::1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv6-mapped IPv4
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "240.0.0.1",  # reserved
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


class StubResolver:
    """Answers from a table, as DNS would; never asks the network."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"{host}: name unknown")
        return self.table[host]


@pytest.mark.parametrize("text", REFUSED)
def test_the_address_rule_refuses_every_non_public_address(text: str) -> None:
    assert refusal(ipaddress.ip_address(text)) is not None


@pytest.mark.parametrize("text", PUBLIC)
def test_the_address_rule_lets_public_addresses_pass(text: str) -> None:
    assert refusal(ipaddress.ip_address(text)) is None


@pytest.mark.parametrize(
    "host", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "017700000001"]
)
async def test_ipv4_in_decimal_octal_or_hex_form_is_refused_at_registration(host: str) -> None:
    resolver = StubResolver({})
    with pytest.raises(BadUserInput, match="four decimal numbers"):
        await check_url(f"https://{host}/hook", resolver, allow_private=False)
    with pytest.raises(BadUserInput, match="four decimal numbers"):
        await check_url(f"https://{host}/hook", resolver, allow_private=True)
    assert resolver.asked == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://10.0.0.5:8443/hook",
        "https://[fe80::1%25eth0]/hook",
        "https://0.0.0.0/hook",
    ],
)
async def test_literal_addresses_that_are_not_public_are_refused(url: str) -> None:
    with pytest.raises(BadUserInput, match="public addresses only"):
        await check_url(url, StubResolver({}), allow_private=False)


async def test_a_name_resolving_to_a_private_address_is_refused_at_registration() -> None:
    resolver = StubResolver(
        {"hooks.test": ["127.0.0.1"], "mixed.test": ["93.184.215.14", "169.254.169.254"]}
    )
    with pytest.raises(BadUserInput, match=r"hooks\.test resolves to 127\.0\.0\.1"):
        await check_url("https://hooks.test/x", resolver, allow_private=False)
    # One private answer among public ones refuses the name (answers rotate).
    with pytest.raises(BadUserInput, match=r"169\.254\.169\.254 is a cloud metadata address"):
        await check_url("https://mixed.test/x", resolver, allow_private=False)
    with pytest.raises(BadUserInput, match="does not resolve"):
        await check_url("https://nowhere.test/x", resolver, allow_private=False)


async def test_a_public_name_is_registered_as_written() -> None:
    resolver = StubResolver({"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    url = await check_url(" https://hooks.example.com/coach ", resolver, allow_private=False)
    assert url == "https://hooks.example.com/coach"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "hooks.example.com/x",
        "https:///x",
        "https://user:pw@hooks.example.com/x",
        "https://hooks.example.com:99999/x",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/" + "a" * 2000,
    ],
)
async def test_only_plain_https_urls_are_accepted(url: str) -> None:
    resolver = StubResolver({"hooks.example.com": ["93.184.215.14"]})
    with pytest.raises(BadUserInput):
        await check_url(url, resolver, allow_private=True)


async def test_delivery_resolves_again_and_refuses_what_the_name_now_points_at() -> None:
    table = {"hooks.example.com": ["93.184.215.14"]}
    resolver = StubResolver(table)
    assert [
        str(a) for a in await guarded_addresses("hooks.example.com", resolver, allow_private=False)
    ] == ["93.184.215.14"]
    table["hooks.example.com"] = ["::ffff:127.0.0.1"]  # DNS rebinding
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1"):
        await guarded_addresses("hooks.example.com", resolver, allow_private=False)
    assert resolver.asked == ["hooks.example.com", "hooks.example.com"]


async def test_allow_private_lets_loopback_and_private_addresses_through() -> None:
    resolver = StubResolver({"hooks.test": ["127.0.0.1", "10.0.0.2"]})
    addresses = await guarded_addresses("hooks.test", resolver, allow_private=True)
    assert [str(a) for a in addresses] == ["127.0.0.1", "10.0.0.2"]
