"""The message catalogue: it loads, and every key the code asks for exists."""

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
    r"etter|før|mangler|feil|lagret|denne|dette|et|ei|ble|blir|kommune|dato|oppgi|Send|Avbryt|Tema|Avlyst)\b"
)
# A lone lower-case token is vocabulary the bot reads (command words, stop words, keys, file names), not text
# it shows; the catalogue is for what people read.
_VOCABULARY = re.compile(r"[a-zæøå0-9#_.:/-]*")
# Pieces of regular expressions built up before re.compile: alternations of words, groups, escapes.
_PATTERN_SYNTAX = re.compile(r"\(\?|\\[sdwbS]|^\S*\|\S*$")
_LOG_AND_PATTERN_CALLS = frozenset(
    "debug info warning error exception critical compile sub match fullmatch search split finditer findall".split()
)


def norwegian_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each Norwegian string literal that is neither a docstring, a log line nor a pattern."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _LOG_AND_PATTERN_CALLS
        ):
            skipped.update(id(child) for child in ast.walk(node))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and not _VOCABULARY.fullmatch(node.value)
        and not _PATTERN_SYNTAX.search(node.value)
        and _NORWEGIAN.search(node.value)
    ]


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
'''
    assert [line for line, _ in norwegian_literals(source)] == [11, 13]
