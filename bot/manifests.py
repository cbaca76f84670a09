"""App manifests: the Slack manifest with this server's URLs, and the Teams app package (a zip to upload)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from importlib.resources import files
from typing import Any
from urllib.parse import urlparse

import yaml

from bot.core.catalog import languages, t

PLACEHOLDER = "https://slt.example.invalid"


class ManifestError(ValueError):
    """The URL or the template is not usable; the message is one line for the operator."""


def base_url(url: str) -> str:
    """The server's public https base URL, without a trailing slash or path."""
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise ManifestError(t("manifest.bad_url", url=url))
    return f"https://{parsed.netloc}{parsed.path.rstrip('/')}"


def _slack_in(manifest: dict[str, Any], language: str) -> dict[str, Any]:
    """The manifest's texts in a language (Slack shows one language: the municipality's)."""
    info = manifest["display_information"]
    info["description"] = t("manifest.slack.description", language=language)
    info["long_description"] = t("manifest.description_full", language=language)
    texts = {
        "/slt": (t("manifest.slack.slt", language=language), t("manifest.slack.slt_hint", language=language)),
        "/slt-tema": (t("manifest.cmd.tema", language=language), t("manifest.slack.tema_hint", language=language)),
        "/slt-bekymring": (t("manifest.slack.bekymring", language=language), ""),
    }
    for command in manifest["features"]["slash_commands"]:
        description, hint = texts.get(command["command"], (command["description"], ""))
        command["description"] = description
        if hint:
            command["usage_hint"] = hint
    return manifest


def slack_manifest(url: str | None, *, socket_mode: bool = False, language: str = "nb") -> dict[str, Any]:
    """The Slack app manifest: request URLs pointing at `url`, or Socket Mode with no URLs at all."""
    template = files("manifest").joinpath("slack", "manifest.yaml").read_text(encoding="utf-8")
    if socket_mode:
        manifest = _slack_in(yaml.safe_load(template), language)
        for command in manifest["features"]["slash_commands"]:
            command.pop("url", None)
        manifest["settings"]["event_subscriptions"].pop("request_url", None)
        manifest["settings"]["interactivity"].pop("request_url", None)
        manifest["settings"]["socket_mode_enabled"] = True
        return dict(manifest)
    if url is None:
        raise ManifestError(t("manifest.no_url"))
    return dict(_slack_in(yaml.safe_load(template.replace(PLACEHOLDER, base_url(url))), language))


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"


def teams_manifest(url: str, app_id: str) -> dict[str, Any]:
    """The Teams manifest for this bot (its Azure app id) served from `url`."""
    if not _GUID.match(app_id or ""):
        raise ManifestError(t("manifest.bad_app_id", app_id=app_id))
    base = base_url(url)
    text = files("manifest").joinpath("teams", "manifest.json").read_text(encoding="utf-8")
    text = text.replace(PLACEHOLDER, base).replace(PLACEHOLDER_ID, app_id.lower())
    manifest = json.loads(text)
    manifest["validDomains"] = [urlparse(base).netloc]
    return dict(manifest)


LOCALIZATION_SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v1.23/MicrosoftTeams.Localization.schema.json"
COMMAND_KEYS = {"møteplan": "moteplan"}  # vocabulary: a command's catalogue key where it is not the word itself


def _language_tag(code: str) -> str:
    return "en-US" if code == "en" else f"{code}-NO"


def teams_localizations(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Teams' localization files: every catalogue but bokmål (the manifest's own), by file name."""
    found = {}
    for code in languages()[1:]:
        texts: dict[str, Any] = {
            "$schema": LOCALIZATION_SCHEMA,
            "name.short": manifest["name"]["short"],
            "name.full": t("manifest.name_full", language=code),
            "description.short": t("manifest.description_short", language=code),
            "description.full": t("manifest.description_full", language=code),
        }
        for index, command in enumerate(manifest["bots"][0]["commandLists"][0]["commands"]):
            key = COMMAND_KEYS.get(command["title"], command["title"])
            texts[f"bots[0].commandLists[0].commands[{index}].description"] = t(f"manifest.cmd.{key}", language=code)
        found[f"{_language_tag(code)}.json"] = texts
    return found


def teams_package(url: str, app_id: str) -> bytes:
    """The app package to upload to Teams: manifest.json, its translations and the two icons in one zip."""
    manifest = teams_manifest(url, app_id)
    localizations = teams_localizations(manifest)
    manifest["localizationInfo"] = {
        "defaultLanguageTag": "nb-NO",
        "additionalLanguages": [{"languageTag": name.removesuffix(".json"), "file": name} for name in localizations],
    }
    icons = files("manifest").joinpath("teams")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, texts in localizations.items():
            package.writestr(name, json.dumps(texts, ensure_ascii=False, indent=2))
        for icon in ("color.png", "outline.png"):
            package.writestr(icon, icons.joinpath(icon).read_bytes())
    return out.getvalue()
