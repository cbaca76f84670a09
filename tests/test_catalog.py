"""The message catalogue: it loads, every key the code asks for exists, and no user-facing text is outside it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from bot.core.catalog import DATA

ROOT = Path(__file__).resolve().parent.parent
_LITERAL_KEY = re.compile(r"""\bt\(\s*f?["']([a-z_][a-z0-9_.]*[a-z0-9_])["']""")


def test_every_literal_key_in_the_code_exists() -> None:
    catalogue = yaml.safe_load((DATA / "messages.nb.yaml").read_text(encoding="utf-8"))
    assert isinstance(catalogue, dict)
    used = {
        key
        for package in ("bot", "handlers")
        for path in (ROOT / package).rglob("*.py")
        for key in _LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 100
    assert sorted(key for key in used if key not in catalogue) == []


def test_no_value_was_cut_by_a_yaml_comment() -> None:
    # An unquoted " #" starts a comment in YAML and silently cuts the text.
    for line in (DATA / "messages.nb.yaml").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", " ")) and ": " in line:
            value = line.split(": ", 1)[1]
            assert " #" not in value or value.startswith(('"', ">")), line


# What marks a string as Norwegian text: Norwegian letters or guillemets, or a common Norwegian word.
_NORWEGIAN = re.compile(
    r"[æøåÆØÅ«»]|\b(?:og|ikke|jeg|du|er|på|med|som|eller|hva|skriv|velg|fra|til|har|kan|skal|ingen|finnes|"
    r"etter|før|mangler|feil|lagret|denne|dette|et|ei|ble|blir|kommune|dato|oppgi|Send)\b|"
    r"(?i:\b(?:neste|forrige|ja|nei|lukk|takk|ukjent|vis|mer|avbryt|avlyst|flyttet|tilbake|tema|hjelp|"
    r"velkommen|lagre|slett|stemme|stemmer|møte|referat|tiltak|ingen)\b)"
)
# A lone lower-case token where the code reads it (compared, listed, looked up, passed to a function) is
# vocabulary (command words, stop words, keys, file names); where the code shows it (returned, assigned,
# a keyword value), it is text and belongs in the catalogue.
# A statement whose first line has a `# vocabulary` comment holds words the bot reads, not shows (say why).
_TOKEN = re.compile(r"[a-zæøå0-9#_.:/-]*")
_FILE_NAME = re.compile(r"[\w.-]+\.(?:ya?ml|txt|json|py|ics|svg)")
_KEY_KEYWORDS = frozenset("help action key kind purpose name".split())
_MARKER = re.compile(r"#\s*vocabulary\b")
_READING_PARENTS = (ast.Compare, ast.Tuple, ast.List, ast.Set, ast.Subscript, ast.Call, ast.comprehension)
# Pieces of regular expressions built up before re.compile: alternations of words, groups, escapes.
_PATTERN_SYNTAX = re.compile(r"\(\?|\\[sdwbS]|^\S*\|\S*$")
_LOG_CALLS = frozenset("debug info warning error exception critical".split())
_LOGGERS = frozenset("log logger logging".split())


def _skipped(tree: ast.AST, lines: list[str]) -> set[int]:
    """Docstrings, arguments of log calls (logs are English) and of re.* calls (patterns), marked vocabulary."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and _MARKER.search(lines[node.lineno - 1]):
            skipped.update(id(child) for child in ast.walk(node))
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            if (node.func.attr in _LOG_CALLS and receiver in _LOGGERS) or receiver == "re":
                skipped.update(id(child) for child in ast.walk(node))
    return skipped


def norwegian_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each Norwegian string literal that is neither a docstring, a log line nor a pattern."""
    tree = ast.parse(source)
    skipped = _skipped(tree, source.splitlines())
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in skipped:
            continue
        text = node.value
        parent = parents.get(id(node))
        is_key = isinstance(parent, ast.Dict) and any(key is node for key in parent.keys)
        is_key = is_key or (isinstance(parent, ast.keyword) and parent.arg in _KEY_KEYWORDS)
        if _TOKEN.fullmatch(text) and (isinstance(parent, _READING_PARENTS) or is_key):
            continue
        if _FILE_NAME.fullmatch(text):
            continue
        if _PATTERN_SYNTAX.search(text) or not _NORWEGIAN.search(text):
            continue
        found.append((node.lineno, text))
    return found


def test_no_user_facing_text_lives_outside_the_catalogue() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for package in ("bot", "handlers", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "versions" not in path.parts
        for line, text in norwegian_literals(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_literal_check_sees_norwegian_text() -> None:
    source = '''
"""Docstrings are English and may quote «hjelp»."""
import logging, re
log = logging.getLogger(__name__)
WORDS = ("hjelp", "avbryt")
NOUNS = r"gutt|gutten|jente"
PATTERN = re.compile(rf"\\s+og\\s+(?:{NOUNS})")
def reply():
    """Not text either: «docstring»."""
    log.info("sent %d", 1)
    return "Skjemaet er avbrutt. Ingenting er lagret."
def label():
    return f"Avlyst ({1})"
def status(x):
    if x in ("avbryt", "tilbake"):
        return dict(reason="avlyst", button="Neste")
    return {"value": "hjelp"}
COMMANDS = {"/slt-tema": "tema"}  # vocabulary: slash commands and the word each stands for
'''
    assert sorted(line for line, _ in norwegian_literals(source)) == [11, 13, 16, 16, 17]


def test_every_key_built_at_run_time_exists() -> None:
    # Keys put together from a value (a kind, a status, a command) are invisible to the literal-key check above;
    # a missing one would be a KeyError in front of a user.
    from bot.app import build_router
    from bot.core.flows import load_flow
    from bot.core.validation import _OWN_MESSAGES
    from handlers import outcomes
    from handlers.privacy.screen import KINDS
    from storage.topics import STATUSES

    catalogue = yaml.safe_load((DATA / "messages.nb.yaml").read_text(encoding="utf-8"))
    flow = load_flow(DATA / "flows" / "bekymring.yaml")
    recommendations = {step.result["recommendation"] for step in flow.steps.values() if "recommendation" in step.result}
    wanted = [
        *(f"screen.{part}.{kind}" for kind in KINDS for part in ("kind", "marker")),
        *(f"outcomes.service.{key}" for key in outcomes.SERVICES),
        *(f"outcomes.status.{status}" for status in outcomes.STATUSES),
        *(f"topics.status.{status}" for status in STATUSES),
        *(f"help.{part}.{entry.key}" for entry in build_router().help_entries for part in ("cmd", "desc")),
        *(f"validation.{kind}" for kind in _OWN_MESSAGES),
        *(f"recommendation.{code}" for code in recommendations),
        *(f"date.month.{month}" for month in range(1, 13)),
        *(f"date.weekday.{day}" for day in range(7)),
    ]
    assert len(recommendations) >= 5 and len(build_router().help_entries) >= 10
    assert [key for key in wanted if key not in catalogue] == []
