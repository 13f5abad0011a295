"""The client's address through trusted reverse proxies: X-Forwarded-For read from the right, and
only when the peer is one of our proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from backend.common.client_address import client_address

PROXY = "10.0.0.2"


def request_from(peer: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


@pytest.fixture
def behind_proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8:ffff::/48"]
    return settings


def test_without_trusted_proxies_the_header_is_ignored(settings):
    # given the default: no proxy is trusted
    settings.TRUSTED_PROXIES = []
    # when a peer sends an X-Forwarded-For
    # then the client is the peer, whatever the header says
    assert client_address(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"
    assert client_address(request_from(PROXY, "203.0.113.1")) == PROXY


@pytest.mark.parametrize("forwarded, client", [
    # the proxy appended the address it saw
    ("203.0.113.9", "203.0.113.9"),
    # what the client wrote itself stands to the left and is skipped
    ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
    ("127.0.0.1, 10.0.0.7, 203.0.113.9", "203.0.113.9"),
    # two of our own proxies in a row: skipped from the right until the first outside address
    ("6.6.6.6, 203.0.113.9, 10.0.0.3", "203.0.113.9"),
    # every hop is ours: the leftmost is the client
    ("10.0.0.5, 10.0.0.3", "10.0.0.5"),
    # ports, brackets, IPv4-mapped IPv6 and spaces as proxies write them
    ("203.0.113.9:51234", "203.0.113.9"),
    ("[2001:db8::7]:443", "2001:db8::7"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("  2001:db8::7  ", "2001:db8::7"),
])
def test_behind_a_trusted_proxy_the_header_is_read_from_the_right(behind_proxies, forwarded, client):
    assert client_address(request_from(PROXY, forwarded)) == client


@pytest.mark.parametrize("forwarded", ["", "unknown", "203.0.113.9, nonsense", "203.0.113.9,,", "1.2.3.4:port",
                                       "[2001:db8::7]x", "x" * 300])
def test_a_header_that_cannot_be_read_falls_back_to_the_peer(behind_proxies, forwarded):
    assert client_address(request_from(PROXY, forwarded)) == PROXY


def test_an_untrusted_peer_cannot_forge_its_address(behind_proxies):
    # given a peer that is not one of our proxies, claiming to forward for someone else
    request = request_from("198.51.100.7", "10.0.0.9, 203.0.113.1")
    # then the client is the peer
    assert client_address(request) == "198.51.100.7"


def test_ipv4_mapped_peers_match_ipv4_proxy_networks(behind_proxies):
    assert client_address(request_from("::ffff:10.0.0.2", "203.0.113.9")) == "203.0.113.9"
    assert client_address(request_from("2001:db8:ffff::1", "203.0.113.9")) == "203.0.113.9"


def test_a_request_without_an_address_has_none():
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="")) is None
