"""The OSV fake is faithful enough for the real pip-audit CLI, and documents its failure modes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.osv_server import (
    KNOWN_VULNS,
    OSV_QUERY_PATH,
    FakeOSV,
    closed_port,
    closed_port_url,
)

GHSA_ID = "GHSA-j8r2-6x86-q33q"
CVE_ID = "CVE-2023-32681"


@dataclass(frozen=True)
class AuditRun:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


def _hermetic_env(tmp_path: Path) -> dict[str, str]:
    """Route every non-loopback HTTP(S) request into a refused port, so a PyPI lookup would fail."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    dead_proxy = closed_port_url(path="")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = dead_proxy
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    return env


def pip_audit(tmp_path: Path, osv_url: str, *pins: str) -> AuditRun:
    """Run the real CLI with the offline option set that the scorer should use."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{pin}\n" for pin in pins))
    command = [
        sys.executable, "-m", "pip_audit",
        "--requirement", str(requirements),
        "--no-deps", "--disable-pip",          # no resolver, no pip, no PyPI
        "--vulnerability-service", "osv",
        "--osv-url", osv_url,                  # full query URL: http://host:port/v1/query
        "--format", "json",
        "--progress-spinner", "off",
        "--cache-dir", str(tmp_path / "pip-audit-cache"),
        "--timeout", "5",
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=_hermetic_env(tmp_path),
        timeout=60,
        check=False,
    )
    return AuditRun(completed.returncode, completed.stdout, completed.stderr)


def _all_ids(vuln: dict[str, Any]) -> set[str]:
    return {vuln["id"], *vuln.get("aliases", [])}


# --------------------------------------------------------------------------- real pip-audit


def test_vulnerable_pin_is_reported_with_id_and_fix_version(tmp_path: Path) -> None:
    with FakeOSV() as osv:
        run = pip_audit(tmp_path, osv.url, "requests==2.25.0")
        queries = osv.requests

    assert run.returncode == 1, run.stderr
    assert "Found 1 known vulnerability in 1 package" in run.stderr
    report = run.json()
    assert report["fixes"] == []
    [dependency] = report["dependencies"]
    assert (dependency["name"], dependency["version"]) == ("requests", "2.25.0")
    [vuln] = dependency["vulns"]
    assert GHSA_ID in _all_ids(vuln)
    # pip-audit re-ranks ids (PYSEC > CVE > anything else): the CVE becomes "id".
    assert vuln["id"] == CVE_ID
    assert vuln["aliases"] == [GHSA_ID]
    assert vuln["fix_versions"] == ["2.31.0"]
    assert vuln["description"] == "Unintended leak of Proxy-Authorization header in requests"
    # Exactly what pip-audit's OsvService posts.
    assert queries == [{"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.25.0"}]


def test_safe_pin_has_no_vulnerabilities(tmp_path: Path) -> None:
    with FakeOSV() as osv:
        run = pip_audit(tmp_path, osv.url, "idna==3.7")
        queries = osv.requests

    assert run.returncode == 0, run.stderr
    assert "No known vulnerabilities found" in run.stderr
    assert run.json() == {
        "dependencies": [{"name": "idna", "version": "3.7", "vulns": []}],
        "fixes": [],
    }
    assert queries == [{"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "3.7"}]


def test_mixed_file_reports_only_the_vulnerable_pin(tmp_path: Path) -> None:
    with FakeOSV() as osv:
        run = pip_audit(tmp_path, osv.url, "idna==3.7", "Requests==2.25.0")

    assert run.returncode == 1, run.stderr
    by_name = {dep["name"]: dep for dep in run.json()["dependencies"]}
    assert by_name["idna"]["vulns"] == []
    assert [v["fix_versions"] for v in by_name["requests"]["vulns"]] == [["2.31.0"]]


def test_custom_table_is_used(tmp_path: Path) -> None:
    record = {
        "id": "GHSA-test-0000-0000",
        "summary": "made-up advisory",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "idna"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.9"}]}
                ],
            }
        ],
    }
    with FakeOSV(vulns={("IDNA", "3.7"): [record]}) as osv:
        run = pip_audit(tmp_path, osv.url, "idna==3.7", "requests==2.25.0")

    by_name = {dep["name"]: dep for dep in run.json()["dependencies"]}
    assert [(v["id"], v["fix_versions"]) for v in by_name["idna"]["vulns"]] == [
        ("GHSA-test-0000-0000", ["9.9"])
    ]
    assert by_name["requests"]["vulns"] == []  # the default table was replaced, not merged


def test_service_error_aborts_the_whole_audit(tmp_path: Path) -> None:
    with FakeOSV() as osv:
        osv.fail_with(500)
        run = pip_audit(tmp_path, osv.url, "requests==2.25.0", "idna==3.7")
        queries = osv.requests

    # Same exit code as "vulnerabilities found", but no JSON at all and a traceback.
    assert run.returncode == 1
    assert run.stdout == ""
    assert "Traceback (most recent call last)" in run.stderr
    assert "requests.exceptions.HTTPError: 500 Server Error" in run.stderr
    assert run.stderr.rstrip().endswith("pip_audit._service.interface.ServiceError")
    assert "skip_reason" not in run.stderr
    assert len(queries) == 1  # aborted on the first dependency, no retry


def test_single_transient_error_is_not_retried(tmp_path: Path) -> None:
    with FakeOSV() as osv:
        osv.fail_with(503, times=1)
        run = pip_audit(tmp_path, osv.url, "requests==2.25.0")
        queries = osv.requests

    assert run.returncode == 1
    assert run.stdout == ""
    assert "503 Server Error" in run.stderr
    assert len(queries) == 1


def test_service_down_crashes_with_connection_error(tmp_path: Path) -> None:
    started = time.monotonic()
    run = pip_audit(tmp_path, closed_port_url(), "requests==2.25.0")

    assert time.monotonic() - started < 15  # refused at once; no --timeout wait
    assert run.returncode == 1
    assert run.stdout == ""
    last_line = run.stderr.rstrip().splitlines()[-1]
    assert last_line.startswith("requests.exceptions.ConnectionError: ")
    assert "Connection refused" in last_line
    # Only a connect *timeout* gets pip-audit's friendly message; a refusal does not.
    assert "Could not connect to OSV" not in run.stderr


# --------------------------------------------------------------------------- the fake itself


def test_wire_format_matches_the_osv_api() -> None:
    with FakeOSV() as osv:
        assert osv.url == f"http://127.0.0.1:{osv.port}{OSV_QUERY_PATH}"
        hit = requests.post(
            osv.url,
            data=json.dumps(
                {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.25.0"}
            ),
            timeout=5,
        )
        miss = requests.post(
            osv.url,
            json={"package": {"name": "requests", "ecosystem": "npm"}, "version": "2.25.0"},
            timeout=5,
        )
        garbage = requests.post(osv.url, data=b"not json", timeout=5)
        elsewhere = requests.post(osv.base_url + "/v1/querybatch", json={}, timeout=5)

    assert hit.status_code == 200
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.json() == {"vulns": list(KNOWN_VULNS[("requests", "2.25.0")])}
    assert (miss.status_code, miss.json()) == (200, {})
    assert garbage.status_code == 400
    assert elsewhere.status_code == 404


def test_fail_with_can_be_limited_and_cleared() -> None:
    query: dict[str, Any] = {"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "3.7"}
    with FakeOSV() as osv, requests.Session() as session:
        osv.fail_with(502, times=2)
        statuses = [session.post(osv.url, json=query, timeout=5).status_code for _ in range(3)]
        osv.fail_with(500, body="boom")
        failed = session.post(osv.url, json=query, timeout=5)
        osv.recover()
        recovered = session.post(osv.url, json=query, timeout=5)
        logged = osv.requests

    assert statuses == [502, 502, 200]
    assert (failed.status_code, failed.text) == (500, "boom")
    assert recovered.status_code == 200
    assert logged == [query] * 5


def test_keep_alive_connection_does_not_block_shutdown() -> None:
    query: dict[str, Any] = {"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "3.7"}
    with requests.Session() as session:
        osv = FakeOSV().start()
        first = session.post(osv.url, json=query, timeout=5)
        second = session.post(osv.url, json=query, timeout=5)  # same pooled connection
        port = osv.port
        started = time.monotonic()
        osv.stop()
        assert time.monotonic() - started < 2
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers.get("Connection") != "close"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_closed_port_refuses_immediately() -> None:
    assert closed_port() == closed_port()  # held for the whole session
    assert closed_port_url().endswith(f":{closed_port()}/v1/query")
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.post(closed_port_url(), json={}, timeout=30)
    assert time.monotonic() - started < 10  # refused, not timed out
