"""The address of the person behind a request, read through the reverse proxies we trust.

    client_address(request)   # "203.0.113.7"; None when the request carries no address at all

Without a proxy the client is the TCP peer (REMOTE_ADDR). Behind a reverse proxy every request
comes from the proxy, and the client's address is only in X-Forwarded-For, which anyone can also
send themselves. So the header is read only when the peer is listed in TRUSTED_PROXIES (a list of
networks, default empty: trust nobody), and then from the right: each proxy appends the address it
received the request from, so the hops are walked right to left, skipping our own proxies, and the
first address that is not one of them is the client. Whatever stands to the left of it was written
by the client and is ignored. If every hop is a trusted proxy, the leftmost is the client.

A header that cannot be read (a hop that is not an address) falls back to the peer. IPv4-mapped
IPv6 peers (`::ffff:192.0.2.1`, from a dual-stack listener) count as their IPv4 address, and
`host:port` / `[v6]:port` hops (some load balancers add the port) are read without the port.

Everything that needs "who is this" — the sign-in limits, the audit trail's IP, /metrics' network
check — asks this one function.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_warned_untrusted_forwarding = False


def parse_address(value: str) -> IPAddress | None:
    """One address as a proxy or the server writes it (with or without a port), or None."""
    value = (value or "").strip()
    if not value or len(value) > 64:
        return None
    if value.startswith("["):  # "[2001:db8::1]" or "[2001:db8::1]:443"
        host, _, rest = value[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return None
    elif value.count(":") == 1:  # "198.51.100.7:51234"
        host, _, port = value.partition(":")
        if not port.isdigit():
            return None
    else:
        host = value
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [net if not isinstance(net, str) else ipaddress.ip_network(net.strip(), strict=False)
            for net in getattr(settings, "TRUSTED_PROXIES", ())]


def is_trusted_proxy(address: IPAddress, proxies=None) -> bool:
    return any(address in network for network in (trusted_proxies() if proxies is None else proxies))


def peer_is_trusted_proxy(request) -> bool:
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and is_trusted_proxy(peer)


def client_ip(request) -> IPAddress | None:
    """The client's address (see the module's text), or None when the peer has none we can read."""
    meta = getattr(request, "META", {})
    peer = parse_address(meta.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded.strip():
        return peer
    proxies = trusted_proxies()
    if not is_trusted_proxy(peer, proxies):
        _warn_untrusted_forwarding(peer, proxies)
        return peer
    client = peer
    for hop in reversed(forwarded.split(",")):
        address = parse_address(hop)
        if address is None:
            return peer
        client = address
        if not is_trusted_proxy(address, proxies):
            return address
    return client


def client_address(request) -> str | None:
    address = client_ip(request)
    return str(address) if address is not None else None


def _warn_untrusted_forwarding(peer: IPAddress, proxies) -> None:
    """Once per process: X-Forwarded-For from a peer we do not trust while no proxy is configured."""
    global _warned_untrusted_forwarding
    if proxies or _warned_untrusted_forwarding:
        return
    _warned_untrusted_forwarding = True
    logger.warning("a request from %s carried X-Forwarded-For, which is ignored: if Dossier runs behind a reverse "
                   "proxy, list it in TRUSTED_PROXIES, or every client counts as the proxy's address", peer)
