"""Fetching a document from a public web address, and from nowhere else (pure: no Django).

An import given a URL must not become a way to reach what only the server can reach: the machine itself, the
trust's internal network, a cloud provider's metadata service. So `fetch`:

- takes http and https addresses only, without a user name or password in them;
- looks the host name up once, and refuses it when any address it resolves to is not public (loopback,
  private, link-local, site-local, multicast, reserved, unspecified, shared or documentation ranges, and
  IPv6 addresses that carry one of those: IPv4-mapped, NAT64, 6to4);
- connects to the address it checked, never looking the name up again (so a name that changes its answer
  between the check and the connection, "DNS rebinding", gets nowhere), sends the host name in the Host
  header and checks the TLS certificate against it;
- checks the address the connection actually reached before it sends anything;
- follows at most MAX_REDIRECTS redirects, checking each new address as if it were the first;
- gives up when the whole exchange takes longer than `timeout` seconds (however slowly the server drips its
  answer), and refuses an answer longer than `max_bytes`.

It does not use proxies (a proxy would make the address checks its business). `allow_loopback` exists for
tests, which serve answers from this machine; nothing in a deployment sets it.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from connecting_people.core.input_limits import megabytes

MAX_REDIRECTS = 5
_PIECE = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], list[str]]
Connect = Callable[[str, int, float], socket.socket]


class FetchError(Exception):
    """The address was refused, did not answer in time, or answered with too much. `message` is fit to show
    after the address: "refused: ...", "did not answer: ...", "answered with ..."."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: bytes
    url: str  # the address that answered (after any redirects)


def address_problem(address: str | Address, *, allow_loopback: bool = False) -> str | None:
    """Why `address` is not a public one ("loopback", "private", "link-local", ...), or None when it is.

    IPv6 addresses that stand for an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
    ``2002::/16``) are judged by that IPv4 address. `allow_loopback` lets loopback through (tests only)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address):
        for inner, how in (
            (ip.ipv4_mapped, "as an IPv4-mapped IPv6 address"),
            (_nat64(ip), "inside a NAT64 IPv6 address"),
            (ip.sixtofour, "inside a 6to4 IPv6 address"),
        ):
            if inner is not None:
                problem = address_problem(inner, allow_loopback=allow_loopback)
                return None if problem is None else f"{problem}, {how}"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        # Python counts documentation and benchmarking ranges as private; say what they are.
        return "private" if _is_private_network(ip) else "not publicly routable"
    if not ip.is_global:
        return "not publicly routable"  # shared address space (100.64.0.0/10) and the like
    return None


_PRIVATE_NETWORKS = [
    ipaddress.ip_network(network) for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _is_private_network(ip: Address) -> bool:
    return any(ip.version == network.version and ip in network for network in _PRIVATE_NETWORKS)


def _nat64(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None


def url_problem(url: str) -> str | None:
    """Why `url` is not one to fetch (not http or https, no host, a user name or password, a bad port), or
    None. Says nothing of the host's addresses: `fetch` checks those once it has looked the name up."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return "only http and https addresses are fetched"
    if parts.username is not None or parts.password is not None:
        return "addresses with a user name or password are not fetched"
    if not parts.hostname:
        return "it names no host"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "its port is not a number from 1 to 65535"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system's resolver; a literal address gives itself)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _looked_up(resolve: Resolve, host: str, port: int) -> list[str] | OSError:
    try:
        return resolve(host, port)
    except OSError as error:
        return error


def connect_to(address: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((address, port), timeout)


class _Deadline:
    """The time left for one fetch; when it runs out, whatever socket is open is shut down, so that a read
    waiting on a server that drips its answer ends at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0 or self.expired:
            raise FetchError(f"did not answer in {self.seconds:g} seconds")
        return remaining

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._socket = sock
            if self.expired and sock is not None:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._socket is not None:
                _shut(self._socket)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _CheckedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one address already checked, checked again once connected."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: str,
        tls: bool,
        timeout: float,
        connect: Connect,
        allow_loopback: bool,
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.default_port = 443 if tls else 80  # so the Host header leaves the usual port out
        self.address = address
        self.tls = tls
        self.connect_with = connect
        self.allow_loopback = allow_loopback

    def connect(self) -> None:
        sock = self.connect_with(self.address, self.port, self.timeout)
        try:
            reached = sock.getpeername()[0]
            problem = address_problem(reached, allow_loopback=self.allow_loopback)
            if problem is not None:
                raise FetchError(
                    f"refused: the connection to {self.host} reached {reached}, not a public address ({problem})"
                )
            if self.tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    accept: str = "application/json",
    user_agent: str = "connecting-people",
    allow_loopback: bool = False,
    resolve: Resolve = resolve_host,
    connect: Connect = connect_to,
) -> Answer:
    """GET `url` from a public address (see the module docstring), following redirects.

    Gives the final answer whatever its status (a 404 or 500 is for the caller to judge). Raises FetchError
    for an address refused, no answer within `timeout` seconds in all, or an answer longer than `max_bytes`.
    `resolve` and `connect` stand in for the system's resolver and socket connection in tests."""
    deadline = _Deadline(timeout)
    try:
        current = url.strip()
        problem = url_problem(current)
        if problem is not None:
            raise FetchError(f"refused: {problem}")
        for _ in range(MAX_REDIRECTS + 1):
            answer, location = _get_once(
                current,
                deadline=deadline,
                max_bytes=max_bytes,
                headers={"Accept": accept, "User-Agent": user_agent},
                allow_loopback=allow_loopback,
                resolve=resolve,
                connect=connect,
            )
            if location is None:
                return answer
            following = urljoin(current, location)
            problem = url_problem(following)
            if problem is not None:
                raise FetchError(f"refused: redirected to {following}: {problem}")
            current = following
        raise FetchError(f"refused: more than {MAX_REDIRECTS} redirects")
    finally:
        deadline.cancel()


def _checked_address(
    host: str, port: int, *, deadline: _Deadline, resolve: Resolve, allow_loopback: bool
) -> str:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        problem = address_problem(literal, allow_loopback=allow_loopback)
        if problem is not None:
            raise FetchError(f"refused: {host} is not a public address ({problem})")
        return str(literal)
    # The system's resolver has no time limit of its own: wait for it only as long as the fetch may take
    # (a look-up still going on then finishes in its own thread, which nothing waits for).
    found: list = []
    looking = threading.Thread(target=lambda: found.append(_looked_up(resolve, host, port)), daemon=True)
    looking.start()
    looking.join(deadline.left())
    if not found:
        deadline.left()
        raise FetchError(f"did not answer in {deadline.seconds:g} seconds")
    addresses = found[0]
    if isinstance(addresses, OSError):
        raise FetchError(f"did not answer: {host} could not be looked up ({addresses})")
    if not addresses:
        raise FetchError(f"did not answer: {host} could not be looked up")
    for address in addresses:
        problem = address_problem(address, allow_loopback=allow_loopback)
        if problem is not None:
            raise FetchError(f"refused: {host} resolves to {address}, not a public address ({problem})")
    return addresses[0]


def _get_once(
    url: str,
    *,
    deadline: _Deadline,
    max_bytes: int,
    headers: dict[str, str],
    allow_loopback: bool,
    resolve: Resolve,
    connect: Connect,
) -> tuple[Answer, str | None]:
    """One GET: (the answer, the Location of a redirect or None)."""
    parts = urlsplit(url)
    tls = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if tls else 80)
    address = _checked_address(host, port, deadline=deadline, resolve=resolve, allow_loopback=allow_loopback)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _CheckedConnection(
        host,
        port,
        address=address,
        tls=tls,
        timeout=deadline.left(),
        connect=connect,
        allow_loopback=allow_loopback,
    )
    try:
        try:
            connection.connect()
            deadline.watch(connection.sock)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                return Answer(response.status, response.reason, b"", url), response.getheader("Location")
            body = _read_body(response, deadline=deadline, max_bytes=max_bytes)
        except FetchError:
            raise
        except TimeoutError:  # a socket's own time limit is what the whole fetch had left
            raise FetchError(f"did not answer in {deadline.seconds:g} seconds") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            deadline.left()  # ran out of time: say so rather than what the shut socket said
            reason = getattr(error, "reason", None) or error
            raise FetchError(f"did not answer: {reason}") from None
    finally:
        deadline.watch(None)
        connection.close()
    return Answer(response.status, response.reason, body, url), None


def _read_body(response: http.client.HTTPResponse, *, deadline: _Deadline, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise FetchError(f"answered with {megabytes(int(declared))} (at most {megabytes(max_bytes)} is read)")
    pieces: list[bytes] = []
    size = 0
    while True:
        deadline.left()
        piece = response.read(_PIECE)
        if not piece:
            break
        size += len(piece)
        if size > max_bytes:
            raise FetchError(
                f"answered with more than {megabytes(max_bytes)} (at most {megabytes(max_bytes)} is read)"
            )
        pieces.append(piece)
    deadline.left()
    return b"".join(pieces)
