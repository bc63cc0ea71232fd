"""Which address a request came from, when it may have passed through proxies. Pure: no Django.

A proxy in front of the service adds the address it saw to `X-Forwarded-For`. Anyone can send that header, so
its entries are believed only as far as a chain of proxies we trust reaches: start from the address of the
connection itself; while that address is a trusted proxy, step one entry left in the header. The first address
that is not a trusted proxy is the client. Nothing the client writes to the left of it can change the answer.
"""

import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# However long the header, no deployment has more proxies than this in a row.
MAX_HOPS = 20


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and ranges as an operator writes them ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8").
    Blank entries are skipped. ValueError naming the first entry that is neither."""
    networks = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or a range such as 10.0.0.0/8") from None
    return tuple(networks)


def parse_address(text: str | None) -> Address | None:
    """One address as a server or proxy writes it, or None when it is not one.

    Accepts a port after an IPv4 address ("203.0.113.5:5123") or a bracketed IPv6 address ("[2001:db8::1]:443"),
    drops an IPv6 zone ("fe80::1%eth0"), and reads an IPv4-mapped IPv6 address ("::ffff:203.0.113.5") as the
    IPv4 address it carries, so one client has one address however it is written."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address, trusted_proxies: Sequence[Network]) -> bool:
    # An IPv4 address is never "in" an IPv6 range and the reverse: `in` answers False, it does not raise.
    return any(address in network for network in trusted_proxies)


def client_address(
    *, remote_addr: str | None, forwarded_for: str | None, trusted_proxies: Sequence[Network]
) -> str | None:
    """The client's address as text (IPv6 in its short form), or None when the connection's own address is
    missing or unreadable.

    `remote_addr` is the address of the connection (REMOTE_ADDR); `forwarded_for` the X-Forwarded-For header,
    entries separated by commas, nearest proxy last. With no trusted proxies the header is ignored. When every
    address in the chain is a trusted proxy, or the walk meets an entry that is not an address, the answer is the
    farthest trusted address reached: it is the last hop anyone we trust vouches for."""
    current = parse_address(remote_addr)
    if current is None:
        return None
    if not trusted_proxies or not forwarded_for or not is_trusted(current, trusted_proxies):
        return str(current)
    entries = forwarded_for.split(",")
    for entry in reversed(entries[-MAX_HOPS:]):
        previous = parse_address(entry)
        if previous is None:
            break
        current = previous
        if not is_trusted(current, trusted_proxies):
            break
    return str(current)
