"""Where a webhook may be sent: public internet addresses only.

A subscription's URL is chosen by staff, and the server sends to it: without this check it
could reach what only the server reaches, such as this host's PostgreSQL and Redis
(127.0.0.1, ::1), the private network (10/8, 172.16/12, 192.168/16, fc00::/7) or a cloud's
metadata service (169.254.169.254). The host is checked when a URL is subscribed
(`subscriptions._check_url`) and again at every delivery, on the very addresses the
delivery then connects to (`delivery.post`), so a name pointed elsewhere since the
subscription (DNS rebinding) reaches nothing inside either.

WEBHOOK_ALLOW_PRIVATE_ADDRESSES lets development and tests send to a receiver on this host.
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# What socket.getaddrinfo gives for each address: family, type, proto, canonname, sockaddr.
AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple]

# IPv6 addresses that carry an IPv4 one, judged by the IPv4 address inside (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(OSError):
    """The host cannot be sent to. An OSError, so urllib reports it as it reports a
    connection refused: the delivery's attempt fails with this text."""


class HostNotFound(AddressRefused):
    """The host's name has no address."""


class NotPublic(AddressRefused):
    """The host is, or its name gives, an address that is not on the public internet."""


def _inside(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: ::ffff:127.0.0.1 is 127.0.0.1."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether the address is on the public internet: not this host, a private or shared
    network, link-local (cloud metadata), multicast, reserved or unspecified."""
    if isinstance(ip, ipaddress.IPv6Address):
        inside = _inside(ip)
        if inside is not None:
            return is_public(inside)
        if ip.is_site_local:  # fec0::/10, deprecated but still routed inside some networks
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def ip_literal(host: str) -> IPAddress | None:
    """The address, when the host is written as one ("10.0.0.5", "::1" without brackets)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int, *, allow_private: bool = False) -> list[AddressInfo]:
    """Every address of the host (an address stands for itself), each checked: raises
    HostNotFound when there is none, NotPublic when any is not public (unless
    `allow_private`). One lookup: connect to what it returns, not to the name again."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:  # gaierror, or a malformed name
        raise HostNotFound(f"{host} could not be found ({error})") from None
    found = [info for info in found if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not found:
        raise HostNotFound(f"{host} could not be found (no address)")
    if not allow_private:
        for *_, sockaddr in found:
            ip = ipaddress.ip_address(sockaddr[0])
            if not is_public(ip):
                named = host if ip_literal(host) is not None else f"{host} is at {ip}, which"
                raise NotPublic(
                    f"not sent: {named} is not a public internet address "
                    "(this host, a private network or a reserved range)"
                )
    return found


def connect(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
    *,
    allow_private: bool = False,
) -> socket.socket:
    """socket.create_connection's work, to the addresses `resolve` checked: the connection
    goes to an address that was checked, never to one a second lookup of the name gives."""
    host, port = address
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in resolve(host, port, allow_private=allow_private):
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or HostNotFound(f"{host} could not be found (no address)")
