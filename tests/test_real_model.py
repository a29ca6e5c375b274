"""The model backend against a real model: llama.cpp's server with SmolLM2-135M-Instruct.

Run by ``make test-model`` (never by ``make test``: minutes, not seconds). A model this small
is not accurate, and nothing here says it is: these tests hold the *contract* with a real
model's answers, whatever they are: a record for every document, no crash, every non-null
value either grounded (its evidence slices back to its quote) or flagged by an issue of
severity error on that value; and each mode either works with this server or stops the run
saying plainly that the server does not support it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.loading import load_document
from extractor.records import EVENT_FIELDS, Record

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from model_server import MODEL_NAME, running_server, venv  # noqa: E402

SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SHORT_PAGE = ROOT / "tests" / "data" / "corpus" / "0013.txt"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    python = venv() / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no llama.cpp server in {venv()} (make test-model builds one)")
    with running_server() as base_url:
        yield base_url


def run(base_url: str, mode: str, paths: list[Path], tmp: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "extractor", "extract", *map(str, paths)]
    argv += ["--backend", "openai", "--model", MODEL_NAME, "--base-url", base_url]
    argv += ["--mode", mode, "--concurrency", "1", "--timeout", "900", "--max-tokens", "1500"]
    argv += ["--no-cache"]
    argv += ["-o", str(tmp / f"{mode}.jsonl")]
    return subprocess.run(argv, capture_output=True, text=True, timeout=3600, cwd=ROOT)


def assert_contract(done: subprocess.CompletedProcess[str], paths: list[Path], out: Path) -> None:
    assert done.returncode in (0, 1), done.stderr  # 1: a document ended in an error record
    assert "Traceback" not in done.stderr
    records = [Record.from_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r.source for r in records) == sorted(map(str, paths))  # one for each
    for record in records:
        if record.error is not None:
            assert record.error.type in ("InvalidAnswer", "TransportError", "BackendError")
            continue
        text = load_document(record.source).text
        flagged = {(i.event, i.field) for i in record.issues if i.severity == "error"}
        for n, event in enumerate(record.events):
            for name in EVENT_FIELDS:
                if getattr(event, name) is None:
                    continue
                ev = event.evidence.get(name)  # type: ignore[call-overload]
                if ev is not None:
                    assert text[ev.start : ev.end] == ev.quote
                    assert ev.match in ("exact", "normalized", "elided")
                assert ev is not None or (n, name) in flagged, (record.source, n, name)
        if record.current_rating is not None:
            ev = record.current_rating_evidence
            assert ev is not None or (None, "current_rating") in flagged
            if ev is not None:
                assert text[ev.start : ev.end] == ev.quote
        print(
            f"{Path(record.source).name}: {len(record.events)} events, "
            f"{record.usage.requests} requests, {len(record.issues)} issues"
        )


def test_tools_mode_keeps_the_contract_on_the_seeds(server: str, tmp_path: Path) -> None:
    done = run(server, "tools", SEEDS, tmp_path)
    assert_contract(done, SEEDS, tmp_path / "tools.jsonl")


def test_json_mode_keeps_the_contract(server: str, tmp_path: Path) -> None:
    done = run(server, "json", [SHORT_PAGE], tmp_path)
    assert_contract(done, [SHORT_PAGE], tmp_path / "json.jsonl")


def test_json_schema_mode_is_said_to_be_unsupported(server: str, tmp_path: Path) -> None:
    done = run(server, "json_schema", [SHORT_PAGE], tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "does not support --mode json_schema" in lines[0]
