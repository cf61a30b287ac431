"""Outbound HTTP to webhook receivers, guarded against server-side request forgery.

A URL is checked by resolving its host: every address must be public (not private,
loopback, link-local, multicast or reserved) and the scheme https, unless
WEBHOOK_ALLOW_PRIVATE_TARGETS lifts both rules (test rigs). The request then connects to
an address that passed the check (so a second DNS answer cannot point it elsewhere),
follows no redirect, and is cut off after WEBHOOK_TIMEOUT_SECONDS in total.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000


class TargetRefused(ValueError):
    """The URL may not be used as a webhook target; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str) -> Target:
    """Resolve and check `url`. Raise TargetRefused with a message for the client."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"Enter a URL of at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("Enter a valid URL.") from exc
    allowed = (
        {"https"} if settings.WEBHOOK_REQUIRE_HTTPS and not allow_private else {"http", "https"}
    )
    if parts.scheme not in allowed:
        raise TargetRefused("The URL must use https.")
    if not parts.hostname:
        raise TargetRefused("The URL must name a host.")
    if parts.username or parts.password:
        raise TargetRefused("The URL may not carry credentials.")
    if parts.fragment:
        raise TargetRefused("The URL may not carry a fragment.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused("The URL's host could not be resolved.") from exc
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused("The URL's host could not be resolved.")
    if not allow_private and not all(_public(a) for a in addresses):
        raise TargetRefused("The URL points at a private, loopback or link-local address.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path, addresses)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        # Certificate and SNI are for the host name, whichever address was dialled.
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to the checked target; return the status code. Raise OSError (refused,
    reset, timed out) or http.client.HTTPException (not an HTTP answer)."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    address = target.addresses[0]
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target.host, target.port, address, timeout)
    # The socket timeout bounds each wait; this bounds the whole exchange, so a receiver
    # that answers one byte at a time still cannot hold the worker.
    cut = threading.Event()
    watchdog = threading.Timer(timeout, _cut, args=(connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        if cut.is_set():
            raise TimeoutError("The receiver did not answer in time.") from exc
        raise
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
