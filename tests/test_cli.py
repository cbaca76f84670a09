"""The slt-bot command as a user runs it: piped chat, a bad municipality file, kill-and-resume, serve + /healthz."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.config import BUNDLED_MUNICIPALITY
from tests.running import free_port

SLT_BOT = [sys.executable, "-m", "bot"]
ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("SLT_CONFIG", "DATABASE_URL")}
    environ.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [*SLT_BOT, *args], input=stdin, capture_output=True, text=True, cwd=tmp_path, env=environ, timeout=60
    )


def test_piped_chat_answers_every_line_and_exits(tmp_path: Path) -> None:
    result = run(["chat"], tmp_path, stdin="kontakter\nhvem er politikontakt?\nmøteplan\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("Kontakter i SLT-arbeidet") < out.index("Ola Testrud") < out.index("Møteplan for SLT-arbeidet")
    assert out.count("Ola Testrud") == 2  # in the list, and as the answer to the question
    assert "SLT-frokostmøte" in out
    assert result.stderr == ""


def test_default_database_is_sqlite_in_the_working_directory(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("SLT_CONFIG", "DATABASE_URL")}
    environ["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [*SLT_BOT, "chat"], input="hjelp\n", capture_output=True, text=True, cwd=tmp_path, env=environ, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "slt-bot.db").exists()


def test_chat_user_option_makes_a_coordinator(tmp_path: Path) -> None:
    # Dialog state is per user: the coordinator's dialog is not the staff member's.
    run(["chat", "--user", "koordinator"], tmp_path, stdin="bekymring\n")
    other = run(["chat"], tmp_path, stdin="")
    assert "påbegynt veiledning" not in other.stdout
    same = run(["chat", "--user", "koordinator"], tmp_path, stdin="")
    assert "påbegynt veiledning" in same.stdout


@pytest.mark.parametrize(
    "edit,field",
    [
        (lambda s: s.replace("    role: Politikontakt\n", ""), "contacts[1].role: mangler"),
        (lambda s: s.replace("last_reviewed: 2026-08-15", "last_reviewed: i fjor", 1), "routines[1].last_reviewed"),
        (lambda s: s.replace("weekday: fredag", "weekday: fridag"), "ukjent ukedag «fridag»"),
        (lambda s: s.replace("timezone: Europe/Oslo", "timezone: Europe/Bergen"), "timezone: ukjent tidssone"),
        (
            lambda s: s.replace("source: kontaktinformasjon", "source: finnes-ikke", 1),
            "contacts[0].source: ingen rutine med id «finnes-ikke»",
        ),
        (lambda s: s.replace("    when: Akutte", "    naar: x\n    when: Akutte"), "contacts[3].naar: ukjent felt"),
        (lambda s: s.replace("on_holiday: previous", "on_holiday: kanskje"), "meetings[0].on_holiday: ugyldig verdi"),
        (lambda s: s + "\n  - : [\n", "er ikke gyldig YAML"),
    ],
)
def test_bad_municipality_file_gives_one_clear_line(tmp_path: Path, edit, field: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "kommune.yaml"
    bad.write_text(edit(BUNDLED_MUNICIPALITY.read_text(encoding="utf-8")), encoding="utf-8")
    result = run(["chat"], tmp_path, stdin="hjelp\n", SLT_CONFIG=str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("slt-bot: ") and field in lines[0]
    assert result.stdout == ""


def test_missing_municipality_file(tmp_path: Path) -> None:
    result = run(["chat"], tmp_path, SLT_CONFIG=str(tmp_path / "nei.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"slt-bot: fant ikke kommunefilen {tmp_path / 'nei.yaml'} (sjekk SLT_CONFIG)"


def test_bad_database_url(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path, DATABASE_URL="mysql://x/y")
    assert result.returncode == 1
    assert "unsupported database URL scheme 'mysql'" in result.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "databasen er oppdatert" in result.stdout


@pytest.mark.parametrize("command", [[], ["chat"], ["serve"], ["db"], ["export"], ["calendar"], ["reminders"]])
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = run([*command, "--help"], tmp_path)
    assert result.returncode == 0 and "usage: slt-bot" in result.stdout


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 30) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"never saw {marker!r}; got {seen!r}"
        line = process.stdout.readline()
        assert line, f"process ended before {marker!r}; got {seen!r}"
        seen += line
    return seen


def test_a_killed_dialog_resumes_in_a_new_process(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("SLT_CONFIG",)}
    environ.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'kill.db'}", "PYTHONPATH": str(ROOT)})
    process = subprocess.Popen(
        [*SLT_BOT, "chat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path, env=environ
    )
    assert process.stdin is not None
    process.stdin.write("bekymring\nnei\n")
    process.stdin.flush()
    _read_until(process, "kan den fortsatt")  # the avvergeplikt question: the first answer is stored
    process.send_signal(signal.SIGKILL)  # no clean shutdown
    process.wait(timeout=10)

    resumed = run(["chat"], tmp_path, stdin="nei\n", DATABASE_URL=f"sqlite:///{tmp_path / 'kill.db'}")
    assert resumed.returncode == 0, resumed.stderr
    out = resumed.stdout
    assert "Du har en påbegynt veiledning: Bekymring for barn eller unge" in out
    assert out.index("kan den fortsatt") < out.index("menneskehandel")  # shown again, then answered


def test_serve_answers_healthz(tmp_path: Path) -> None:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("SLT_CONFIG",)}
    environ.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "PYTHONPATH": str(ROOT)})
    process = subprocess.Popen(
        [*SLT_BOT, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=environ,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = json.loads(response.read())
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert body == {
            "status": "ok",
            "municipality": "Eksempel kommune",
            "leader": True,
            "outbox_failed": 0,
            "faults": {},
            "behind": {},  # no chat channel configured in this run
        }
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode == 0


def test_installed_console_script_exists() -> None:
    assert shutil.which("slt-bot") or (Path(sys.executable).parent / "slt-bot").exists()


def test_export_topics_in_every_format(tmp_path: Path) -> None:
    run(["chat"], tmp_path, stdin="tema Skjermbruk og søvn\nstem 1\ntema Trygg skolevei\n")
    as_json = run(["export", "topics"], tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)
    assert [(r["id"], r["text"], r["status"], r["votes"]) for r in rows] == [
        (1, "Skjermbruk og søvn", "new", 1),
        (2, "Trygg skolevei", "new", 0),
    ]
    assert set(rows[0]) == {"id", "text", "status", "created_at", "votes", "meeting_date"}

    as_csv = run(["export", "topics", "--format", "csv", "--out", str(tmp_path / "t.csv")], tmp_path)
    assert as_csv.returncode == 0 and "2 topics skrevet til" in as_csv.stderr
    content = (tmp_path / "t.csv").read_bytes()
    assert content.startswith(b'\xef\xbb\xbf"id","text","status","created_at","votes","meeting_date"\r\n')
    assert "Skjermbruk og søvn" in content.decode("utf-8-sig")

    assert run(["export", "topics", "--format", "xlsx", "--out", str(tmp_path / "t.xlsx")], tmp_path).returncode == 0
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert [cell.value for cell in sheet[1]] == ["id", "text", "status", "created_at", "votes", "meeting_date"]
    assert sheet["B2"].value == "Skjermbruk og søvn"


def test_export_xlsx_needs_a_file(tmp_path: Path) -> None:
    result = run(["export", "topics", "--format", "xlsx"], tmp_path)
    assert result.returncode == 1 and "oppgi en fil med --out" in result.stderr and result.stdout == ""


def test_export_to_an_unwritable_place(tmp_path: Path) -> None:
    result = run(["export", "topics", "--out", str(tmp_path / "finnes-ikke" / "t.json")], tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("slt-bot: kan ikke skrive")


def test_export_escalations_and_outcomes(tmp_path: Path) -> None:
    walk = "bekymring\nnei\nnei\nnei\n1\n4\nja\n1 5\nnei\n2\n2\n"  # consent given, then "Nei takk" to notifying
    run(["chat"], tmp_path, stdin=walk)
    escalations = json.loads(run(["export", "escalations"], tmp_path).stdout)
    assert escalations[0]["categories"] == ["rusbruk", "vold"]
    assert escalations[0]["recommendation"] == "innsatsteam_samtykke" and escalations[0]["consent"] == "foresatte"
    csv_out = run(["export", "escalations", "--format", "csv", "--out", str(tmp_path / "e.csv")], tmp_path)
    assert csv_out.returncode == 0
    assert "rusbruk; vold" in (tmp_path / "e.csv").read_text(encoding="utf-8-sig")
    referat = (
        "\n".join(
            [
                "referat",
                "6",
                "2026-11-20",
                "1, 3",
                "1",
                "",
                "",
                "",
                "Foreldremøte",
                "1",
                "2026-12-15",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "1",
            ]
        )
        + "\n"
    )
    run(["chat", "--user", "koordinator"], tmp_path, stdin=referat)
    outcomes = json.loads(run(["export", "outcomes"], tmp_path).stdout)
    assert outcomes[0]["meeting_type"] == "SLT-innsatsteam"
    assert outcomes[0]["measures"] == [{"what": "Foreldremøte", "responsible": "Skole", "due": "2026-12-15"}]
    assert run(["export", "outcomes", "--format", "xlsx", "--out", str(tmp_path / "o.xlsx")], tmp_path).returncode == 0
    measures = json.loads(run(["export", "measures"], tmp_path).stdout)
    assert measures == [
        {
            "id": 1,
            "outcome_id": 1,
            "what": "Foreldremøte",
            "responsible": "Skole",
            "due": "2026-12-15",
            "evaluate_on": "2027-01-12",
            "status": "open",
            "evaluation": "",
        }
    ]
    for user_id in ("console-user", "console:koordinator"):
        assert user_id not in json.dumps(escalations) + json.dumps(outcomes)


def test_calendar_command(tmp_path: Path) -> None:
    result = run(["calendar", "--from", "2026-12-01", "--to", "2026-12-31", "--out", str(tmp_path / "m.ics")], tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "m.ics").read_bytes().decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART;TZID=Europe/Oslo:20261218T080000" in text
    assert run(["calendar", "--from", "2026-13-01"], tmp_path).returncode == 2  # argparse: bad date
    backwards = run(["calendar", "--from", "2027-01-01", "--to", "2026-01-01"], tmp_path)
    assert backwards.returncode == 1 and "--to er før --from" in backwards.stderr


def test_reminders_dry_run(tmp_path: Path) -> None:
    result = run(["reminders", "--dry-run", "--from", "2026-12-10", "--to", "2026-12-18"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026-12-11 09:00  slack:C0EKSSLT") and "topics" in lines[0]
    assert any(line.startswith("2026-12-18 07:30") and "link" in line for line in lines)
    assert run(["reminders"], tmp_path).returncode == 2  # --dry-run is required: serve does the sending


def test_slack_manifest(tmp_path: Path) -> None:
    import yaml

    result = run(["manifest", "slack", "--url", "https://slt.eksempel.no", "--out", str(tmp_path / "m.yaml")], tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((tmp_path / "m.yaml").read_text(encoding="utf-8"))
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/slt", "/slt-tema", "/slt-bekymring"}
    assert {c["url"] for c in commands.values()} == {"https://slt.eksempel.no/slack/events"}
    assert manifest["settings"]["interactivity"]["request_url"] == "https://slt.eksempel.no/slack/events"
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
    }
    assert {"commands", "chat:write", "im:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    socket = yaml.safe_load(run(["manifest", "slack", "--socket-mode"], tmp_path).stdout)
    assert (
        socket["settings"]["socket_mode_enabled"] is True and "request_url" not in socket["settings"]["interactivity"]
    )
    bad = run(["manifest", "slack", "--url", "http://slt.eksempel.no"], tmp_path)
    assert bad.returncode == 1 and "https-adresse" in bad.stderr
    # For a nynorsk municipality the app's texts are in nynorsk.
    fjordvik = str(ROOT / "bot" / "data" / "fjordvik-kommune.yaml")
    nynorsk = yaml.safe_load(run(["manifest", "slack", "--socket-mode"], tmp_path, SLT_CONFIG=fjordvik).stdout)
    assert "rettleiing" in nynorsk["display_information"]["description"]
    hints = {c["command"]: c.get("usage_hint", "") for c in nynorsk["features"]["slash_commands"]}
    assert "kven er politikontakt?" in hints["/slt"]


def test_teams_app_package_validates_against_the_manifest_schema(tmp_path: Path) -> None:
    import zipfile

    import jsonschema

    app_id = "5c3d7e3a-1b2c-4d5e-8f90-123456789abc"
    out = tmp_path / "app.zip"
    result = run(
        ["manifest", "teams", "--url", "https://slt.eksempel.no", "--app-id", app_id, "--out", str(out)], tmp_path
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "en-US.json", "manifest.json", "nn-NO.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        nynorsk = json.loads(package.read("nn-NO.json"))
        english = json.loads(package.read("en-US.json"))
        color, outline = package.read("color.png"), package.read("outline.png")
    schema = json.loads((Path(__file__).parent / "data" / "teams-manifest-1.23.json").read_text(encoding="utf-8"))
    # The schema says draft-04, which ignores "const"; Draft 7 checks it (see shared/schemas/README.md).
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []
    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    assert manifest["validDomains"] == ["slt.eksempel.no"]
    commands = {c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]}
    assert commands == {"hjelp", "kontakter", "rutiner", "møteplan", "tema", "bekymring"}
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    # Nynorsk and English descriptions and command hints, as Teams shows them to people with those languages.
    languages = {entry["languageTag"]: entry["file"] for entry in manifest["localizationInfo"]["additionalLanguages"]}
    assert languages == {"nn-NO": "nn-NO.json", "en-US": "en-US.json"}
    assert "rettleiing" in nynorsk["description.short"] and "guidance" in english["description.short"]
    assert english["bots[0].commandLists[0].commands[1].description"] == "Whom to contact in SLT work, and when"
    # PNG headers: 192x192 colour, 32x32 outline
    assert color[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(color[16:20], "big") == 192
    assert int.from_bytes(outline[16:20], "big") == 32
    bad = run(["manifest", "teams", "--url", "https://slt.eksempel.no", "--app-id", "nei", "--out", str(out)], tmp_path)
    assert bad.returncode == 1 and "GUID" in bad.stderr


def test_export_content_gives_back_a_file_the_bot_runs_on(tmp_path: Path) -> None:
    # The coordinator changes the police contact's name in the chat (menu number 2, then the form's four fields).
    chat = run(["chat", "--user", "koordinator"], tmp_path, stdin="innhold\n2\nKari Eksempelsen\n\n\n\n")
    assert "Lagret" in chat.stdout, chat.stdout + chat.stderr
    out = tmp_path / "kommune.yaml"
    result = run(["export", "content", "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 endrede oppføringer" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Kari Eksempelsen" in text and "Ola Testrud" not in text
    assert run(["check", str(out)], tmp_path).returncode == 0
    assert "alltid YAML" in run(["export", "content", "--format", "csv"], tmp_path).stderr


def test_report_writes_a_word_file_and_refuses_a_bad_year(tmp_path: Path) -> None:
    import docx

    result = run(["report", "--year", "2026", "--out", str(tmp_path / "r.docx")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "årsrapporten for 2026 er skrevet til" in result.stderr
    document = docx.Document(str(tmp_path / "r.docx"))
    assert document.paragraphs[0].text == "Årsrapport for SLT i Eksempel kommune 2026"
    bad = run(["report", "--year", "1066", "--out", str(tmp_path / "x.docx")], tmp_path)
    assert bad.returncode != 0 and "1066 er ikke et årstall" in bad.stderr and not (tmp_path / "x.docx").exists()


def test_reminders_dry_run_also_lists_the_year_wheels_tasks(tmp_path: Path) -> None:
    result = run(["reminders", "--dry-run", "--from", "2027-02-01", "--to", "2027-02-28"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2027-02-08 07:30  console:koordinator     task     Årsrapport til politirådet" in result.stdout
    lines = result.stdout.splitlines()
    assert lines == sorted(lines)  # one time line, whatever kind of reminder
