"""Handlers and storage never import a platform SDK: channels translate, handlers decide, storage stores."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "msrest", "bot.channels")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_handlers_and_storage_import_no_platform_sdk() -> None:
    offenders = []
    for package in ("handlers", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            for module in imported_modules(path):
                if module.startswith(PLATFORM_SDKS):
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_boundary_check_sees_imports() -> None:
    # Guard against the check passing because it reads nothing.
    assert "bot.municipality" in imported_modules(ROOT / "handlers" / "planning" / "schedule.py")


def test_only_config_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for package in ("bot", "handlers", "storage")
        for path in (ROOT / package).rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8") or "getenv" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["bot/config.py"]


def test_channels_reach_features_only_through_the_router() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "bot" / "channels").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(("handlers", "storage"))
    ]
    # The Teams notifier looks up stored conversations; that is the channel's own storage, not a feature.
    assert offenders == ["bot/channels/teams/channel.py imports storage.references"]


def test_platform_sdks_stay_in_their_channel_folders() -> None:
    homes = {
        "botbuilder": "bot/channels/teams",
        "botframework": "bot/channels/teams",
        "slack_bolt": "bot/channels/slack",
        "slack_sdk": "bot/channels/slack",
    }
    offenders = []
    for package in ("bot", "handlers", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            for module in imported_modules(path):
                home = next((folder for sdk, folder in homes.items() if module.startswith(sdk)), None)
                if home is not None and not relative.startswith(home):
                    offenders.append(f"{relative} imports {module}")
    assert offenders == []
