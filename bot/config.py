"""Settings from the environment, read once; the only module that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.catalog import t


class SettingsError(ValueError):
    """The environment asks for something the bot refuses to run with; one clear Norwegian line."""


BUNDLED_MUNICIPALITY = Path(__file__).resolve().parent / "data" / "eksempel-kommune.yaml"


@dataclass(frozen=True)
class Settings:
    """Everything the bot takes from its environment (the README's "Configuration" table)."""

    database_url: str = "sqlite:///slt-bot.db"
    municipality_path: Path = BUNDLED_MUNICIPALITY
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = "https://slack.com/api/"
    # Several workspaces: the app's OAuth credentials; installations then hold the bot tokens.
    slack_client_id: str = ""
    slack_client_secret: str = ""
    microsoft_app_id: str = ""
    microsoft_app_password: str = ""
    microsoft_app_type: str = "MultiTenant"
    microsoft_app_tenant_id: str = ""
    # Serve /api/messages without authentication, for the Bot Framework Emulator and local tests only.
    teams_emulator: bool = False
    log_level: str = "INFO"
    # The server's address as Slack, Teams and browsers reach it, for pictures and download links in chat.
    public_url: str = ""

    def __post_init__(self) -> None:
        """Refuse the one combination that would silently weaken authentication."""
        if self.teams_emulator and self.microsoft_app_id:
            raise SettingsError(t("settings.emulator_with_app_id"))
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise SettingsError(t("settings.bad_public_url", value=self.public_url[:80]))

    @property
    def teams_enabled(self) -> bool:
        """Teams is served when an app id is set (every request authenticated) or in explicit emulator mode."""
        return bool(self.microsoft_app_id) or self.teams_emulator

    @property
    def slack_oauth_enabled(self) -> bool:
        """Slack for many workspaces: client id, client secret and signing secret set (installs via OAuth)."""
        return bool(self.slack_client_id and self.slack_client_secret and self.slack_signing_secret)

    @property
    def slack_http_enabled(self) -> bool:
        """Slack over HTTP is on with a signing secret and a bot token, or with OAuth for many workspaces."""
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.slack_oauth_enabled))

    @property
    def slack_socket_mode_enabled(self) -> bool:
        """Slack over Socket Mode is on when the app-level token and the bot token are set."""
        return bool(self.slack_app_token and self.slack_bot_token)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from `environ` (the process environment by default)."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str) -> str:
        value = env.get(name, "").strip()
        return value or default

    defaults = Settings()
    config_path = env.get("SLT_CONFIG", "").strip()
    return Settings(
        database_url=get("DATABASE_URL", defaults.database_url),
        municipality_path=Path(config_path).expanduser() if config_path else BUNDLED_MUNICIPALITY,
        slack_bot_token=get("SLACK_BOT_TOKEN", ""),
        slack_signing_secret=get("SLACK_SIGNING_SECRET", ""),
        slack_app_token=get("SLACK_APP_TOKEN", ""),
        slack_api_url=get("SLACK_API_URL", defaults.slack_api_url),
        slack_client_id=get("SLACK_CLIENT_ID", ""),
        slack_client_secret=get("SLACK_CLIENT_SECRET", ""),
        microsoft_app_id=get("MICROSOFT_APP_ID", ""),
        microsoft_app_password=get("MICROSOFT_APP_PASSWORD", ""),
        microsoft_app_type=get("MICROSOFT_APP_TYPE", defaults.microsoft_app_type),
        microsoft_app_tenant_id=get("MICROSOFT_APP_TENANT_ID", ""),
        teams_emulator=get("SLT_TEAMS_EMULATOR", "0") == "1",
        log_level=get("SLT_LOG_LEVEL", defaults.log_level).upper(),
        public_url=get("SLT_PUBLIC_URL", ""),
    )
