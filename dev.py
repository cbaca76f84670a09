#!/usr/bin/env python3
"""Bootstrap and run SLT-assistenten from a fresh clone: `python3 dev.py chat` or `python3 dev.py test`.

Needs only Python 3.11+. The first run creates `.venv` and installs the project with its dev extra;
later runs reinstall only when pyproject.toml has changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-pyproject"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

  chat [ARGS]    talk to the bot in the terminal (example municipality, SQLite; no credentials)
  serve [ARGS]   run the HTTP server (Slack, Teams, scheduler, /healthz)
  test [ARGS]    ruff, mypy and the whole test suite (ARGS go to pytest)
  bot ARGS       any other slt-bot command, e.g. `python3 dev.py bot export topics`
"""


def _ensure_venv() -> None:
    """Create the virtual environment and (re)install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit(f"dev.py: Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and (BIN / "slt-bot").exists():
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing the project and its dev tools into .venv ...", file=sys.stderr, flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(digest)


def _run(*argv: str) -> int:
    """Run one command inside the venv and return its exit code."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(VENV))
    return subprocess.run(list(argv), cwd=ROOT, env=env).returncode


def _test(args: list[str]) -> int:
    """Lint, type-check and test; stop at the first failing step."""
    steps: list[list[str]] = [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["python", "-m", "pytest", *args],
    ]
    for step in steps:
        print(f"dev.py: {' '.join(step)}", file=sys.stderr, flush=True)
        code = _run(*step)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    """Dispatch the dev.py command line."""
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in {"chat", "serve", "test", "bot"}:
        print(USAGE, file=sys.stderr)
        return 2
    _ensure_venv()
    if command == "test":
        return _test(rest)
    if command == "bot":
        return _run("slt-bot", *rest)
    return _run("slt-bot", command, *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
