"""App manifests: the Slack manifest with this server's URLs (the Teams package comes with the Teams channel)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any
from urllib.parse import urlparse

import yaml

PLACEHOLDER = "https://slt.example.invalid"


class ManifestError(ValueError):
    """The URL or the template is not usable; the message is one line for the operator."""


def base_url(url: str) -> str:
    """The server's public https base URL, without a trailing slash or path."""
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise ManifestError(f"--url må være en https-adresse, f.eks. https://slt.kommune.no (fikk «{url}»)")
    return f"https://{parsed.netloc}{parsed.path.rstrip('/')}"


def slack_manifest(url: str | None, *, socket_mode: bool = False) -> dict[str, Any]:
    """The Slack app manifest: request URLs pointing at `url`, or Socket Mode with no URLs at all."""
    template = files("manifest").joinpath("slack", "manifest.yaml").read_text(encoding="utf-8")
    if socket_mode:
        manifest = yaml.safe_load(template)
        for command in manifest["features"]["slash_commands"]:
            command.pop("url", None)
        manifest["settings"]["event_subscriptions"].pop("request_url", None)
        manifest["settings"]["interactivity"].pop("request_url", None)
        manifest["settings"]["socket_mode_enabled"] = True
        return dict(manifest)
    if url is None:
        raise ManifestError("oppgi --url (serverens offentlige https-adresse), eller --socket-mode")
    return dict(yaml.safe_load(template.replace(PLACEHOLDER, base_url(url))))
