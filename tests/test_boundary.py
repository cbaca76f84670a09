"""The architecture as tests: which room may import which, no import cycles, platform SDKs in their channel.

Channels translate, handlers decide, storage stores. Core imports storage and the two leaf modules it is built
on (the settings and the municipality model); runtime imports core and storage; a channel imports core, runtime
and the settings; handlers import core, the municipality model and storage; only the wiring imports handlers.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "msrest", "bot.channels")
# What each room may import of the project (its own modules always). The wiring may import everything.
ALLOWED = {
    "bot.core": ("bot.core", "bot.municipality", "bot.yearly", "bot.config", "storage"),
    "bot.runtime": ("bot.runtime", "bot.core", "storage"),
    "bot.channels": ("bot.core", "bot.runtime", "bot.config"),
    "handlers": ("handlers", "bot.core", "bot.municipality", "bot.yearly", "storage"),
    "storage": ("storage",),
    "bot.municipality": ("bot.core", "bot.yearly"),
    "bot.yearly": ("bot.core",),
    "bot.config": ("bot.core",),
}
WIRING = (
    "bot",
    "bot.app",
    "bot.commands",
    "bot.routes",
    "bot.report",
    "bot.check",
    "bot.cli",
    "bot.__main__",
    "bot.export",
    "bot.manifests",
    "bot.channels",
)
# Alembic's entry point reads the settings to find the database when run from the alembic command.
EXEMPT = {"storage.migrations.env"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "versions" not in path.parts:
                found[module_name(path)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    """`if TYPE_CHECKING:` exactly (its else branch, and `if not TYPE_CHECKING:`, run for real)."""
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module an ImportFrom names, with `from . import x` and `from .render import y` resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_modules(path: Path, known: dict[str, Path] | None = None) -> set[str]:
    """Every module a file imports, also inside functions; not what is imported for type checking only."""
    source = path.read_text(encoding="utf-8")
    return imports_in(source, module_name(path), is_package=path.name == "__init__.py", known=known)


def imports_in(source: str, module: str, *, is_package: bool = False, known: dict[str, Path] | None = None) -> set[str]:
    """The modules a source text imports (see imported_modules)."""
    found: set[str] = set()
    skipped: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if _type_checking_only(node):
            assert isinstance(node, ast.If)
            skipped.update(id(child) for body in node.body for child in ast.walk(body))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            name = _absolute(node, module, is_package)
            found.add(name)
            # `from bot.channels.slack import render` imports the module bot.channels.slack.render.
            for alias in node.names:
                if known is not None and f"{name}.{alias.name}" in known:
                    found.add(f"{name}.{alias.name}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("importlib.import_module", "import_module"):
            found.add("<dynamic import>")
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _room(module: str) -> str | None:
    return next((room for room in sorted(ALLOWED, key=len, reverse=True) if _within(module, (room,))), None)


def _channel_of(module: str) -> str:
    return ".".join(module.split(".")[:3])


def test_each_room_imports_only_what_it_may() -> None:
    known = modules()
    offenders = []
    for module, path in known.items():
        room = _room(module)
        if module in WIRING or module in EXEMPT:
            continue
        if room is None:
            offenders.append(f"{module} belongs to no room: add it to ALLOWED or WIRING")
            continue
        allowed = ALLOWED[room]
        for imported in imported_modules(path, known):
            if imported == "<dynamic import>":
                offenders.append(f"{module} imports a module by name at run time")
                continue
            if not _within(imported, PACKAGES) or _within(imported, allowed):
                continue
            if room == "bot.channels" and _within(imported, (_channel_of(module),)):
                continue  # a channel's own modules
            offenders.append(f"{module} imports {imported}")
    assert offenders == []


def test_only_the_wiring_imports_handlers() -> None:
    known = modules()
    importers = {
        module
        for module, path in known.items()
        if not module.startswith("handlers")
        and any(_within(name, ("handlers",)) for name in imported_modules(path, known))
    }
    assert importers == {"bot.app", "bot.commands", "bot.routes", "bot.cli"}


def test_there_are_no_import_cycles() -> None:
    known = modules()
    graph = {
        module: {name for name in imported_modules(path, known) if name in known and name != module}
        for module, path in known.items()
    }
    cycles = _cycles(graph)
    assert cycles == []


def test_the_cycle_check_finds_a_cycle() -> None:
    # Guard against the check passing because it can see no cycle at all.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_boundary_check_sees_imports() -> None:
    # Guard against the checks passing because they read nothing.
    known = modules()
    assert "bot.municipality" in imported_modules(ROOT / "handlers" / "planning" / "schedule.py", known)
    assert "bot.channels.slack.render" in imported_modules(ROOT / "bot" / "channels" / "slack" / "channel.py", known)
    assert len(known) > 60
    source = "from . import render\nfrom .inbound import Where\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\n"
    found = imports_in(source, "bot.channels.slack.probe", known=known)
    assert {"bot.channels.slack.render", "bot.channels.slack.inbound", "b"} <= found and "a" not in found


def test_core_runtime_handlers_and_storage_import_no_platform_sdk() -> None:
    offenders = []
    for folder in ("bot/core", "bot/runtime", "handlers", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            for module in imported_modules(path):
                if module.startswith(PLATFORM_SDKS):
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_only_config_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8") or "getenv" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["bot/config.py"]


def test_platform_sdks_stay_in_their_channel_folders() -> None:
    homes = {
        "botbuilder": "bot/channels/teams",
        "botframework": "bot/channels/teams",
        "slack_bolt": "bot/channels/slack",
        "slack_sdk": "bot/channels/slack",
    }
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            for module in imported_modules(path):
                home = next((folder for sdk, folder in homes.items() if module.startswith(sdk)), None)
                if home is not None and not relative.startswith(home):
                    offenders.append(f"{relative} imports {module}")
    assert offenders == []
