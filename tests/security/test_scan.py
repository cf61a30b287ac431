"""The security scans of .ci/scan fail on findings the allowlist does not explain."""

from __future__ import annotations

import datetime as dt
import importlib.machinery
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def scan():
    loader = importlib.machinery.SourceFileLoader("ci_scan", str(ROOT / ".ci" / "scan"))
    spec = importlib.util.spec_from_loader("ci_scan", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def report(*deps):
    return {"dependencies": list(deps), "fixes": []}


def vulnerable(vuln_id="GHSA-aaaa-bbbb-cccc", aliases=("CVE-2026-0001",)):
    return {
        "name": "django",
        "version": "5.2.19",
        "vulns": [{"id": vuln_id, "aliases": list(aliases), "fix_versions": ["5.2.20"]}],
    }


CLEAN = {"name": "redis", "version": "8.1.0", "vulns": []}
UNAUDITED = {
    "name": "orjson",
    "skip_reason": "Dependency not found on PyPI and could not be audited: orjson (3.13.0)",
}
ACCEPTED = """
[[vulnerability]]
id = "CVE-2026-0001"
package = "django"
reason = "the affected view is not routed"
until = 2026-12-31
"""


def test_the_shipped_allowlist_parses_and_accepts_nothing_unexplained(scan):
    text = (ROOT / ".ci" / "security-allowlist.toml").read_text()
    shipped = tomllib.loads(text).get("vulnerability", [])
    allow = scan.load_allowlist(text, TODAY)

    # What is accepted is exactly the shipped entries still in force, each with a reason
    # (an entry without one is refused: test_an_allowlist_entry_without_a_reason_is_refused).
    assert set(allow["vulnerabilities"]) == {
        entry["id"].upper() for entry in shipped if entry["until"] >= TODAY
    }
    assert [entry for entry in shipped if not entry.get("reason")] == []
    assert allow["unaudited"].get("accept") is False or allow["unaudited"].get("reason")


def test_a_clean_report_passes(scan, capsys):
    allow = scan.load_allowlist("", TODAY)

    assert scan.judge_dependencies(report(CLEAN), allow) is True


def test_a_known_vulnerability_fails(scan, capsys):
    allow = scan.load_allowlist("", TODAY)

    assert scan.judge_dependencies(report(CLEAN, vulnerable()), allow) is False
    assert "django 5.2.19: GHSA-aaaa-bbbb-cccc (fixed in 5.2.20)" in capsys.readouterr().out


def test_an_allowlisted_vulnerability_passes_by_any_of_its_ids(scan, capsys):
    allow = scan.load_allowlist(ACCEPTED, TODAY)

    assert scan.judge_dependencies(report(vulnerable()), allow) is True
    assert "the affected view is not routed" in capsys.readouterr().out


def test_an_acceptance_past_its_date_fails_again(scan):
    allow = scan.load_allowlist(ACCEPTED, dt.date(2027, 1, 1))

    assert scan.judge_dependencies(report(vulnerable()), allow) is False


def test_an_allowlist_entry_without_a_reason_is_refused(scan):
    with pytest.raises(SystemExit):
        scan.load_allowlist(
            ACCEPTED.replace('reason = "the affected view is not routed"', ""), TODAY
        )


def test_a_package_without_vulnerability_data_fails_and_is_named(scan, capsys):
    allow = scan.load_allowlist("", TODAY)

    assert scan.judge_dependencies(report(CLEAN, UNAUDITED), allow) is False
    assert "orjson 3.13.0" in capsys.readouterr().out


def test_unaudited_packages_pass_only_when_accepted_with_a_reason(scan):
    without_reason = scan.load_allowlist("[unaudited]\naccept = true\n", TODAY)
    with_reason = scan.load_allowlist(
        '[unaudited]\naccept = true\nreason = "audited on the release machine"\n', TODAY
    )

    assert scan.judge_dependencies(report(UNAUDITED), without_reason) is False
    assert scan.judge_dependencies(report(UNAUDITED), with_reason) is True


def test_no_report_at_all_fails(scan, capsys):
    assert scan.judge_dependencies(None, scan.load_allowlist("", TODAY)) is False
    assert "unreachable" in capsys.readouterr().out


def test_bandit_with_the_project_configuration_fails_on_a_finding(tmp_path):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "app.py").write_text(
        "import subprocess\n\n\ndef run(user_input):\n"
        "    return subprocess.call(user_input, shell=True)\n"
    )

    result = subprocess.run(
        [str(Path(sys.executable).parent / "bandit"), "-c", "pyproject.toml", "-r", ".", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "B602" in result.stdout


def test_bandit_finds_nothing_unexplained_in_the_code():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "bandit"), "-c", "pyproject.toml", "-r", ".", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout


HTTP_CLIENTS = ("requests", "httpx", "urllib3", "aiohttp", "urllib.request")
# Ways to open a connection with the standard library (http.client's status constants
# are harmless; its connections are not).
CONNECTING = {"HTTPConnection", "HTTPSConnection", "create_connection", "urlopen"}


def http_client_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of every import or use of an HTTP client in `source`."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(alias.name for alias in node.names)]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.Name):
            names = [node.id]
        found += [
            (node.lineno, name)
            for name in names
            if name in CONNECTING or name in HTTP_CLIENTS or name.split(".")[0] in HTTP_CLIENTS
        ]
    return found


def test_the_http_client_check_finds_each_kind_of_use():
    source = (
        "import requests\n"
        "from urllib.request import urlopen\n"
        "import http.client\n"
        "conn = http.client.HTTPSConnection('example.org')\n"
    )

    names = {name for _, name in http_client_uses(source)}

    assert {"requests", "urlopen", "HTTPSConnection"} <= names


def test_no_service_module_imports_an_http_client():
    offenders, scanned = [], 0
    for app in ("amrutam", "accounts", "doctors", "consultations", "audit"):
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            scanned += 1
            offenders += [
                f"{path.relative_to(ROOT)}:{line}: {name}"
                for line, name in http_client_uses(path.read_text())
            ]

    assert scanned > 50  # the walk found the service's modules
    assert offenders == []
