"""A server that is not there, refuses us or cannot serve the mode stops the run at once.

And the rest of the transport contract that issue 12 added: a Retry-After above the cap, a
500 that says the request is invalid, the per-document deadline, a completion with no
choices, the server's error text cut to one line without the key, answers unusable as a
whole (``{}``) re-asked and then an error, and what a cache hit reports.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from stub_server import Fault, StubServer, rules_answer, running_stub

from extractor.cli import main
from extractor.errors import ServerUnavailable
from extractor.llm.online import OpenAIBackend
from extractor.llm.prompting import document_in_messages
from extractor.llm.protocol import one_line
from extractor.pipeline import extract_document, run_extraction
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"
SEED_003 = ROOT / "seeds" / "003_7166d48ac7fe3a64.txt"
SECRET = "sk-test-0123456789abcdefghijklmnop"


def responder(request: dict[str, Any]) -> dict[str, Any]:
    return rules_answer(document_in_messages(request["messages"]) or "")


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with running_stub(responder=responder) as server:
        yield server


def engine(base_url: str, clock: FakeClock | None = None, **options: Any) -> OpenAIBackend:
    clock = clock or FakeClock()
    options.setdefault("no_cache", "cache_dir" not in options)
    return OpenAIBackend(
        model="m", base_url=base_url, sleep=clock.sleep, clock=clock, api_key=SECRET, **options
    )


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


def pages(tmp_path: Path, n: int) -> list[Path]:
    text = SEED_003.read_text(encoding="utf-8")
    out = []
    for i in range(n):
        path = tmp_path / f"page{i:02d}.txt"
        path.write_text(f"{text}\nCopy {i}\n", encoding="utf-8")
        out.append(path)
    return out


# --- the run stops -----------------------------------------------------------------------------


def test_twenty_documents_against_a_refused_port_exit_2_at_once_with_one_line(
    tmp_path: Path,
) -> None:
    port = refused_port()
    paths = pages(tmp_path, 20)
    started = time.monotonic()
    argv = [sys.executable, "-m", "extractor", "extract", *map(str, paths), "--backend"]
    argv += ["openai", "--model", "m", "--base-url", f"http://127.0.0.1:{port}/v1"]
    argv += ["--no-cache", "--concurrency", "8", "-o", str(tmp_path / "out.jsonl")]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "connection refused" in lines[0]
    assert elapsed < 10
    log = json.loads((tmp_path / "out.runs.jsonl").read_text(encoding="utf-8"))
    assert log["exit"] == 2


def test_a_name_that_does_not_resolve_stops_the_run(tmp_path: Path) -> None:
    with (
        engine("http://no-such-host.invalid/v1") as backend,
        pytest.raises(ServerUnavailable, match="host name cannot be resolved"),
    ):
        run_extraction(pages(tmp_path, 3), backend, lambda r: None)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_the_run_and_never_shows_the_key(
    stub: StubServer, tmp_path: Path, status: int
) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {SECRET}.\nSee the docs."}}
    stub.enqueue(*[Fault.status(status, body=body)] * 5)
    with engine(stub.base_url) as backend, pytest.raises(ServerUnavailable) as caught:
        run_extraction(pages(tmp_path, 5), backend, lambda r: None)
    message = str(caught.value)
    assert f"HTTP {status}" in message and "check OPENAI_API_KEY" in message
    assert SECRET not in message and SECRET[:12] not in message and "\n" not in message
    assert len(stub.chat_requests()) == 1  # not five attempts, not the other documents


def test_an_unknown_model_stops_the_run(stub: StubServer, tmp_path: Path) -> None:
    body = {"error": {"message": "The model `m` does not exist"}}
    stub.enqueue(Fault.status(404, body=body))
    with engine(stub.base_url) as backend, pytest.raises(ServerUnavailable, match="HTTP 404"):
        run_extraction(pages(tmp_path, 3), backend, lambda r: None)
    assert len(stub.chat_requests()) == 1


LLAMA_JSON_SCHEMA_500 = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', "
        "'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", "
        "'input': 'json_schema'}\n\n  File \"app.py\", line 376",
        "type": "internal_server_error",
    }
}


def test_a_mode_the_server_does_not_support_is_said_plainly(
    stub: StubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """llama.cpp's server answers --mode json_schema with a 500 that names response_format."""
    stub.enqueue(Fault.status(500, body=LLAMA_JSON_SCHEMA_500))
    code = _cli(capsys, stub, "--mode", "json_schema", "--concurrency", "1")
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1
    assert "does not support --mode json_schema" in err[0] and "try --mode tools" in err[0]
    assert len(stub.chat_requests()) == 1  # not retried


def test_the_same_error_on_the_first_documents_stops_the_run(
    stub: StubServer, tmp_path: Path
) -> None:
    body = {"error": {"message": "context window exceeded"}}
    stub.enqueue(*[Fault.status(400, body=body)] * 10)
    records: list[Record] = []
    with (
        engine(stub.base_url) as backend,
        pytest.raises(ServerUnavailable, match="same error for the first 3 documents"),
    ):
        run_extraction(pages(tmp_path, 10), backend, records.append)
    assert len(records) == 2 and len(stub.chat_requests()) == 3


def test_errors_after_answers_do_not_stop_the_run(stub: StubServer, tmp_path: Path) -> None:
    body = {"error": {"message": "context window exceeded"}}
    records: list[Record] = []
    with engine(stub.base_url) as backend:
        run_extraction(pages(tmp_path, 1), backend, records.append)
        stub.enqueue(*[Fault.status(400, body=body)] * 4)
        run_extraction(pages(tmp_path, 5), backend, records.append)
    assert [r.error is not None for r in records] == [False, True, True, True, True, False]


# --- one document's error ------------------------------------------------------------------------


def test_a_500_that_says_the_request_is_invalid_is_not_retried(stub: StubServer) -> None:
    body = {
        "error": {"message": "1 validation error: messages.2.content: Input should be a string"}
    }
    stub.enqueue(Fault.status(500, body=body))
    clock = FakeClock()
    with engine(stub.base_url, clock) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is not None and record.error.type == "BackendError"
    assert clock.sleeps == [] and len(stub.chat_requests()) == 1


def test_a_retry_after_above_the_cap_names_the_wait(stub: StubServer) -> None:
    stub.enqueue(Fault.status(429, retry_after=3600))
    clock = FakeClock()
    with engine(stub.base_url, clock) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is not None and record.error.type == "TransportError"
    assert "asked to wait 3600 s" in record.error.message and "at most 60 s" in record.error.message
    assert clock.sleeps == [] and len(stub.chat_requests()) == 1


def test_the_deadline_per_document(stub: StubServer) -> None:
    stub.enqueue(Fault.delay(2))
    with OpenAIBackend(model="m", base_url=stub.base_url, no_cache=True, deadline=0.3) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is not None and "deadline of 0 s" in record.error.message


def test_a_completion_without_choices_is_a_clear_error(stub: StubServer) -> None:
    class NoChoices(StubServer):
        def _completion_body(self, request_json: dict[str, Any], payload: Any) -> dict[str, Any]:
            body = super()._completion_body(request_json, payload)
            body["choices"] = []
            return body

    with NoChoices(responder=responder) as empty, engine(empty.base_url) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is not None and record.error.type == "InvalidAnswer"
    assert "no choices" in record.error.message


def test_server_text_is_one_line_and_never_carries_the_key() -> None:
    text = f"bad key {SECRET}\nAuthorization: Bearer abc.def\n" + "x" * 500
    line = one_line(text, secrets=[SECRET])
    assert "\n" not in line and SECRET not in line and len(line) <= 202
    assert one_line("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert "sk-proj-abcdefghijklmnopqrs" not in one_line("key sk-proj-abcdefghijklmnopqrs")


# --- answers unusable as a whole -----------------------------------------------------------------


@pytest.mark.parametrize("answer", [{}, {"type": "object", "properties": {}}, {"rating": "Good"}])
def test_an_answer_without_events_is_reasked_then_an_error(
    stub: StubServer, answer: dict[str, Any]
) -> None:
    stub.enqueue(*[Fault.answer(answer)] * 3)
    with engine(stub.base_url) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is not None and record.error.type == "InvalidAnswer"
    assert record.events == [] and len(stub.chat_requests()) == 3


def test_an_explicit_empty_events_list_means_no_events(stub: StubServer) -> None:
    stub.enqueue(Fault.answer({"current_rating": None, "events": []}))
    with engine(stub.base_url) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is None and record.events == [] and len(stub.chat_requests()) == 1


def test_an_unreadable_value_is_null_with_a_warning_and_the_page_is_kept(
    stub: StubServer,
) -> None:
    answer = rules_answer(SEED_003.read_text(encoding="utf-8"))
    answer["events"][0]["people_using_service"] = "lots of people"
    stub.enqueue(Fault.answer(answer))
    with engine(stub.base_url) as backend:
        record = extract_document(SEED_003, backend)
    assert record.error is None and len(stub.chat_requests()) == 1  # no re-ask
    assert record.events[0].people_using_service is None
    assert record.events[0].date is not None
    (warning,) = [i for i in record.issues if i.code == "value_unreadable"]
    assert warning.severity == "warning" and warning.event == 0
    assert '"lots of people"' in warning.message


# --- the cache tells the truth -------------------------------------------------------------------


def test_a_second_run_from_the_cache_spends_nothing_and_says_what_it_had_cost(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = str(tmp_path / "cache")
    assert _cli(capsys, stub, "--cache-dir", cache, "-o", str(tmp_path / "a.jsonl")) == 0
    capsys.readouterr()
    assert _cli(capsys, stub, "--cache-dir", cache, "-o", str(tmp_path / "b.jsonl")) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert len(stub.chat_requests()) == 2  # the first run's only
    assert "0 requests, 0 prompt + 0 completion tokens spent" in line
    assert "2 from cache (their answers cost 2 requests" in line
    log = json.loads((tmp_path / "b.runs.jsonl").read_text(encoding="utf-8"))
    assert log["usage"]["requests"] == 0 and log["cached_usage"]["requests"] == 2
    second = [Record.from_json(x) for x in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert all(r.cached and r.usage.requests == 0 for r in second)
    assert all(r.cached_usage is not None and r.cached_usage.requests == 1 for r in second)


def test_an_answer_still_unproven_after_its_reasks_is_not_cached(
    stub: StubServer, tmp_path: Path
) -> None:
    answer = rules_answer(SEED_000.read_text(encoding="utf-8"))
    answer["events"][1]["overall_rating_quote"] = "The service was rated good in every area."
    stub.enqueue(*[Fault.answer(answer)] * 3)
    for _ in range(2):
        with engine(stub.base_url, cache_dir=tmp_path / "cache") as backend:
            record = extract_document(SEED_000, backend)
    assert record.cached is False  # asked again, and this time answered well
    assert record.issues == [] and len(stub.chat_requests()) == 4


def _cli(capsys: pytest.CaptureFixture[str], stub: StubServer, *args: str) -> int:
    argv = ["extract", str(SEED_000), str(SEED_003), "--backend", "openai", "--model", "m"]
    argv += ["--base-url", stub.base_url, *args]
    if "--cache-dir" not in args:
        argv.append("--no-cache")
    try:
        main(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def test_a_document_error_never_carries_the_key_the_server_echoed(
    stub: StubServer, tmp_path: Path
) -> None:
    body = {"error": {"message": f"bad request for key {SECRET}\nrequest id 42"}}
    stub.enqueue(Fault.status(400, body=body), *[Fault.status(503, body=body)] * 5)
    records: list[Record] = []
    with engine(stub.base_url) as backend:
        run_extraction(pages(tmp_path, 2), backend, records.append)
    assert [r.error is not None for r in records] == [True, True]
    for record in records:
        assert record.error is not None
        assert SECRET not in record.to_json() and SECRET[:12] not in record.to_json()
        assert "\n" not in record.error.message and "***" in record.error.message


def test_max_tokens_is_sent_only_when_set(stub: StubServer) -> None:
    with engine(stub.base_url) as backend:
        extract_document(SEED_003, backend)
    with engine(stub.base_url, max_tokens=1500) as backend:
        extract_document(SEED_003, backend)
    first, second = (r["json"] for r in stub.chat_requests())
    assert "max_tokens" not in first and second["max_tokens"] == 1500


def test_a_reask_the_server_fails_on_keeps_the_answer_already_grounded(stub: StubServer) -> None:
    answer = rules_answer(SEED_000.read_text(encoding="utf-8"))
    answer["events"][1]["overall_rating_quote"] = "The service was rated good in every area."
    body = {
        "error": {"message": "1 validation error: messages.2.content: Input should be a string"}
    }
    stub.enqueue(Fault.answer(answer), Fault.status(500, body=body))
    with engine(stub.base_url) as backend:
        record = extract_document(SEED_000, backend)
    assert record.error is None and len(record.events) == 3
    assert ("quote_not_found", 1) in {(i.code, i.event) for i in record.issues}
    assert record.usage.requests == 2


def test_an_answer_cut_off_part_way_keeps_the_events_written_whole(stub: StubServer) -> None:
    answer = json.dumps(rules_answer(SEED_000.read_text(encoding="utf-8")))
    cut = answer[: answer.index('"kind": "inspection"', answer.index('"kind": "inspection"') + 1)]
    stub.enqueue(Fault.answer(cut))
    with engine(stub.base_url) as backend:
        record = extract_document(SEED_000, backend)
    assert record.error is None and len(stub.chat_requests()) == 1  # kept, not re-asked
    assert [e.kind for e in record.events] == ["review", "inspection"]
    (warning,) = [i for i in record.issues if i.code == "answer_cut_off"]
    assert warning.severity == "warning" and "2 events written before the cut" in warning.message
