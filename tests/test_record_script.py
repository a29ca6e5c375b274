"""Issue 14: ``make record`` without a reachable server leaves the committed cassettes as they
are (a cassette is replaced only by a recording that completed) and exits 1."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
from pathlib import Path

import pytest
import test_cassettes

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_failed_recording_keeps_the_cassettes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)  # never the repository's own
    monkeypatch.setattr(test_cassettes, "CASSETTES", cassettes)
    spec = importlib.util.spec_from_file_location("record_script", ROOT / "scripts" / "record.py")
    assert spec is not None and spec.loader is not None
    record = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "record_script", record)
    spec.loader.exec_module(record)
    assert record.cases is test_cassettes
    before = {p.name: p.read_bytes() for p in cassettes.rglob("*.yaml")}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("CQC_EXTRACT_MODEL", "m")
    assert record.main([]) == 1
    out = capsys.readouterr().out
    assert "KEPT, the recording failed" in out
    after = {p.name: p.read_bytes() for p in cassettes.rglob("*.yaml")}
    assert after == before  # nothing deleted, nothing half-written, no leftovers
