"""POST a webhook to a creator's endpoint without letting it reach into our network.

The host is resolved once, every address it resolves to is checked, and we connect to the checked
address ourselves (TLS still verifies the certificate for the host's name), so a DNS answer that
changes between the check and the connection cannot redirect us. No redirects are followed, connecting
and each read time out after 5 s, and at most 64 KB of the answer is read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from ..domain import ssrf

TIMEOUT = 5.0
MAX_BYTES = 64 * 1024


class Refused(Exception):
    """The endpoint may not be called (its address is private, say): not retried."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def resolve(host: str, port: int, allow_loopback: bool) -> str:
    """The one address we will connect to, after checking every address the name has."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectionError(f"cannot resolve {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        why = ssrf.forbidden_address(address, allow_loopback)
        if why:
            raise Refused(f"{host} resolves to {address}, {why}")
    if not addresses:
        raise ConnectionError(f"{host} has no address")
    return addresses[0]


def check(url: str, allow_loopback: bool) -> None:
    """Raise ValidationFailed or Refused unless the URL is one we would deliver to."""
    _, host, port, _ = ssrf.parse_url(url, allow_loopback)
    resolve(host, port, allow_loopback)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, **kw):
        super().__init__(host, port, timeout=TIMEOUT, context=ssl.create_default_context(), **kw)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=TIMEOUT)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], allow_loopback: bool) -> Answer:
    scheme, host, port, target = ssrf.parse_url(url, allow_loopback)
    address = resolve(host, port, allow_loopback)
    conn_cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = conn_cls(host, port, address)
    try:
        conn.request(
            "POST",
            target,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": "Flattr-Webhooks/1", **headers},
        )
        response = conn.getresponse()
        data = response.read(MAX_BYTES + 1)
        return Answer(status=response.status, body=data[:MAX_BYTES])
    finally:
        conn.close()
