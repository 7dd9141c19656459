"""Who is the client: the peer's address, or what trusted proxies say it was.

Behind a reverse proxy every connection comes from the proxy, so per-address limits
would count the whole shop as one client. ``X-Forwarded-For`` says who the proxy served,
but anyone can send the header: it counts only when the connecting peer is one of
``trusted_proxies``. The header is read from the right (each proxy appends the address
it saw), skipping trusted hops; the first untrusted address is the client. Entries
left of it were written by the client itself and are never believed.

The stdlib ``ipaddress`` does the matching. ``aiohttp-remotes`` (``XForwardedStrict``)
was considered: it wants the exact number of hops and answers 400 when a request has
another count (a direct connection, a client that sends its own header), which would
refuse real customers instead of simply not believing them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["UNKNOWN", "TrustedProxies"]

UNKNOWN = "unknown"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOPS = 20  # a longer header is not from our proxies: its tail is still read


def _address(text: str) -> Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


class TrustedProxies:
    """The client address of a request, believing ``X-Forwarded-For`` only from ``trusted``.

    Args:
        trusted: addresses or networks (CIDR) of the proxies in front of the server.
    """

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(t.strip(), strict=False) for t in trusted
        )

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address, from the peer and the ``X-Forwarded-For`` header (if any)."""
        address = _address(peer or "")
        if address is None:
            return peer or UNKNOWN
        if not self.networks or not forwarded_for or not self.trusts(address):
            return str(address)
        hops = [h for h in forwarded_for.split(",") if h.strip()][-MAX_HOPS:]
        for hop in reversed(hops):
            found = _address(hop)
            if found is None:  # garbage a client wrote: the last trusted hop is all we know
                return str(address)
            address = found
            if not self.trusts(found):
                return str(found)
        return str(address)  # every hop trusted: the leftmost is the client

    def of_request(self, request: Any) -> str:
        """The client address of an aiohttp request."""
        headers: Mapping[str, str] = request.headers
        return self.client(request.remote, _joined(headers, "X-Forwarded-For"))

    def of_environ(self, environ: Mapping[str, Any]) -> str:
        """The client address of a Socket.IO connection (its WSGI-like ``environ``)."""
        request = environ.get("aiohttp.request")
        if request is not None:
            return self.of_request(request)
        peer = environ.get("REMOTE_ADDR")
        return self.client(peer, environ.get("HTTP_X_FORWARDED_FOR"))


def _joined(headers: Any, name: str) -> str | None:
    """Several ``X-Forwarded-For`` lines are one list, in order (RFC 9110, 5.3)."""
    getall = getattr(headers, "getall", None)
    values = list(getall(name, [])) if getall is not None else [headers.get(name)]
    values = [v for v in values if v]
    return ",".join(values) if values else None
