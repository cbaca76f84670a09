"""Which serviceUrls the bot may post to: the Bot Framework's own hosts, or loopback in emulator mode.

The serviceUrl comes from the caller. Posting wherever an activity says would let anyone who can reach the server
make it send requests into the municipality's network (server-side request forgery), so every outbound post,
reply or proactive, is checked here first.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Public cloud, the Bot Framework's own channels, and the sovereign clouds (US government, China).
BOT_FRAMEWORK_HOSTS = (
    "smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
)
BOT_FRAMEWORK_DOMAINS = (".botframework.com", ".botframework.azure.us", ".botframework.azure.cn")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(url: str, *, emulator: bool) -> bool:
    """Whether the bot may post to this serviceUrl: https to a Bot Framework host, or loopback in emulator mode."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return False
    if parts.username or parts.password or not host:
        return False
    if emulator:
        return parts.scheme in ("http", "https") and _is_loopback(host)
    if parts.scheme != "https":
        return False
    return host in BOT_FRAMEWORK_HOSTS or host.endswith(BOT_FRAMEWORK_DOMAINS)
