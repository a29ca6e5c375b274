"""Issue 14: SIGTERM (what ``timeout`` and schedulers send) stops a run as Ctrl-C does: the
records written are kept, the run log gets its line, and the exit status says which signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from stub_server import rules_answer, running_stub

from extractor.llm.prompting import document_in_messages
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"
#: Generous bounds for a loaded machine: they only stop a hung test.
START_TIMEOUT = 120.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs SIGTERM")


def responder(request: dict[str, Any]) -> dict[str, Any]:
    text = document_in_messages(request["messages"])
    assert text is not None
    return rules_answer(text)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1] if path.exists() else []


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_and_the_run_log_says_so(
    tmp_path: Path, signum: int, status: int
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    base = SEED.read_text(encoding="utf-8")
    for n in range(20):
        (pages / f"p{n:02d}.txt").write_text(f"{base}\nCopy {n}.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(ROOT)
    with running_stub(responder=responder, latency=0.3) as stub:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "extractor",
                "extract",
                str(pages),
                "-o",
                str(out),
                "--backend",
                "openai",
                "--model",
                "stub",
                "--base-url",
                stub.base_url,
                "--no-cache",
                "--concurrency",
                "1",
                "-q",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while len(lines(out)) < 2:
                assert proc.poll() is None, "the run ended before the signal"
                assert time.monotonic() < deadline
                time.sleep(0.02)
            proc.send_signal(signum)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == status, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    written = [Record.from_json(line) for line in lines(out)]  # every line whole
    assert 2 <= len(written) < 20
    (log,) = [json.loads(line) for line in lines(tmp_path / "out.runs.jsonl")]
    assert log["interrupted"] is True and log["exit"] == status
    assert log["documents"] == len(written)
