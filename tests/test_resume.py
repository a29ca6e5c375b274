"""Issue #5: a run killed half-way and started again with ``--resume`` loses nothing and
repeats nothing.

The run is a real ``cqc-extract extract`` process against the stub server (in this process),
killed with SIGKILL once a few records are on disk, with a torn half line appended as if the
kill had hit mid-write. The stub's latency only spaces the documents out so that the kill
lands half-way; every assertion is on counts and contents, never on times.
"""

from __future__ import annotations

import hashlib
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
DOCUMENTS = 12
LATENCY = 0.25
#: Generous bounds for a loaded machine: they only stop a hung test.
START_TIMEOUT = 120.0
RUN_TIMEOUT = 300.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def rules_responder(request: dict[str, Any]) -> dict[str, Any]:
    text = document_in_messages(request["messages"])
    assert text is not None
    return rules_answer(text)


def complete_lines(path: Path) -> list[str]:
    """The lines of ``path`` that end in a newline (a line being written is not one)."""
    if not path.exists():
        return []
    data = path.read_text(encoding="utf-8")
    return data.split("\n")[:-1]


def test_a_killed_run_resumes_without_losing_or_repeating_documents(tmp_path: Path) -> None:
    base = SEED.read_text(encoding="utf-8")
    pages = tmp_path / "pages"
    pages.mkdir()
    sha_of_text: dict[str, str] = {}
    texts: dict[str, str] = {}
    for n in range(DOCUMENTS):
        text = f"{base}\n\nCopy {n} of the page.\n"
        path = pages / f"page_{n:02d}.txt"
        path.write_text(text, encoding="utf-8")
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        sha_of_text[text] = sha
        texts[sha] = text
    everything = set(texts)
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(ROOT)

    def asked(requests: list[dict[str, Any]]) -> list[str]:
        """The documents (sha256) the requests were about, read from the prompt's text. A
        request cut short by the kill has no JSON body and names no document."""
        found = [
            document_in_messages(r["json"]["messages"])
            for r in requests
            if isinstance(r["json"], dict)
        ]
        return [sha_of_text[t] for t in found if t is not None]

    with running_stub(responder=rules_responder, latency=LATENCY) as stub:
        command = [
            sys.executable,
            "-m",
            "extractor",
            "extract",
            str(pages),
            "--backend",
            "openai",
            "--base-url",
            stub.base_url,
            "--model",
            "stub",
            "-o",
            str(out),
            "--no-cache",
            "--concurrency",
            "1",
            "-q",
        ]
        first = subprocess.Popen(
            command,
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while len(complete_lines(out)) < 3:
                assert first.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline, "no 3 records within the time limit"
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=60)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
            assert first.stderr is not None
            first.stderr.close()
        assert first.returncode == -signal.SIGKILL

        before = [Record.from_json(line) for line in complete_lines(out)]
        done_before = {r.sha256 for r in before if r.error is None}
        assert len(before) >= 3 and len(done_before) == len(before)
        assert len(done_before) < DOCUMENTS  # killed half-way, not after the end
        assert set(asked(stub.chat_requests())) >= done_before
        # As if the kill had hit while a record was being written: half a line, no newline.
        unfinished = sorted(everything - done_before)[0]
        torn = Record(source="pages/torn.txt", sha256=unfinished, backend="openai").to_json()
        with out.open("a", encoding="utf-8") as fh:
            fh.write(torn[: len(torn) // 2])

        seen = len(stub.chat_requests())
        resumed = subprocess.run(
            [*command, "--resume"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        after = asked(stub.chat_requests()[seen:])

    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    records = [Record.from_json(line) for line in lines]  # the torn line is gone: all parse
    assert len(records) == DOCUMENTS
    assert sorted(r.sha256 or "" for r in records) == sorted(everything)  # one each
    assert all(r.error is None and r.events for r in records)
    # The records from before the kill are kept as they were, first, in order.
    assert records[: len(before)] == before
    # Nothing finished before the kill was asked again; everything else was asked again. (The
    # request in flight at the kill may reach the stub's log late: at most one more.)
    assert not set(after) & done_before
    assert set(after) == everything - done_before
    assert len(everything - done_before) <= len(after) <= len(everything - done_before) + 1
    # Every quote slices its own document.
    for record in records:
        text = texts[record.sha256 or ""]
        evidence = [ev for event in record.events for ev in event.evidence.values()]
        assert evidence
        for ev in evidence:
            assert text[ev.start : ev.end] == ev.quote
