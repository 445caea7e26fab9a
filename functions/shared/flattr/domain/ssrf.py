"""Which webhook URLs and addresses we may connect to: never into our own network (SSRF)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import ValidationFailed

MAX_URL = 2000


def parse_url(url: str, allow_loopback: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) of an endpoint URL, or ValidationFailed.
    https only, unless loopback is allowed (the local stack), where http is fine too."""
    if not isinstance(url, str) or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise ValidationFailed("url must be an https URL without spaces.", code="invalid_webhook_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed("url is not a valid URL.", code="invalid_webhook_url") from None
    schemes = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ValidationFailed(
            "url must be https://host/path, without user or password.", code="invalid_webhook_url"
        )
    port = port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def forbidden_address(address: str, allow_loopback: bool) -> str | None:
    """Why we must not connect to this IP address, or None if it is a public one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"  # 169.254.169.254, the instance metadata, among them
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "a reserved address"
    return None
