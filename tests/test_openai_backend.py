"""The openai backend against the live stub server (127.0.0.1): retries, re-asks, cache, CLI.

The stub answers like a model that follows the prompt perfectly (the rules backend's reading
of the page in the answer schema); faults are scripted per request with ``stub.enqueue``.
Waits are measured with an injected clock and sleep, never with wall time (except the
concurrency check, which is functional and generous).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import FakeClock
from pages import long_page
from stub_server import Fault, StubServer, rules_answer, running_stub

from extractor.cli import main
from extractor.document import Document
from extractor.errors import ConfigurationError, TransportError
from extractor.llm.online import OpenAIBackend
from extractor.llm.prompting import Prompt, document_in_messages
from extractor.llm.protocol import DUMMY_KEY, retry_after_seconds
from extractor.loading import load_document
from extractor.pipeline import build_record, extract_document, run_extraction
from extractor.records import Record, Usage

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"
SEED_003 = ROOT / "seeds" / "003_7166d48ac7fe3a64.txt"
MODEL = "stub-model"


def rules_responder(request: dict[str, Any]) -> dict[str, Any]:
    text = document_in_messages(request["messages"])
    assert text is not None, "every request carries the document"
    return rules_answer(text)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with running_stub(responder=rules_responder) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def backend(stub: StubServer, clock: FakeClock | None = None, **options: Any) -> OpenAIBackend:
    options.setdefault("no_cache", "cache_dir" not in options)
    fake = clock or FakeClock()
    return OpenAIBackend(
        model=options.pop("model", MODEL),
        base_url=stub.base_url,
        sleep=fake.sleep,
        clock=fake,
        **options,
    )


def gold(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
    return data


def assert_grounded(record: Record, text: str) -> None:
    """Every evidence slices back to its quote, exactly."""
    for event in record.events:
        for ev in event.evidence.values():
            assert text[ev.start : ev.end] == ev.quote
    if record.current_rating_evidence is not None:
        ev = record.current_rating_evidence
        assert text[ev.start : ev.end] == ev.quote


def extract(path: Path, engine: OpenAIBackend) -> Record:
    with engine:
        return extract_document(path, engine)


def messages_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = request["json"]["messages"]
    return messages


# --- the happy path, in every mode ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json"])
@pytest.mark.parametrize("path", [SEED_000, SEED_003], ids=["seed000", "seed003"])
def test_seed_pages_match_gold_in_every_mode(stub: StubServer, mode: str, path: Path) -> None:
    record = extract(path, backend(stub, mode=mode))
    expected = gold(path)
    assert record.error is None
    assert [e.values() for e in record.events] == expected["events"]
    assert record.current_rating == expected["current_rating"]
    assert record.issues == []
    assert record.backend == "openai"
    assert record.model == "stub-rules (not a real model)"
    assert record.prompt == Prompt.load().id
    assert record.usage.requests == 1 and record.usage.prompt_tokens > 0
    assert_grounded(record, load_document(path).text)
    request = stub.chat_requests()[0]["json"]
    assert request["model"] == MODEL and request["temperature"] == 0.0
    if mode == "tools":
        assert request["tools"][0]["function"]["name"] == "PageAnswer"
    elif mode == "json_schema":
        assert request["response_format"]["type"] == "json_schema"
    else:
        assert request["response_format"] == {"type": "json_object"}


# --- transport retries ------------------------------------------------------------------------


def test_429_with_retry_after_is_waited_then_retried(stub: StubServer, clock: FakeClock) -> None:
    clean = extract(SEED_003, backend(stub))
    stub.enqueue(Fault.status(429, retry_after=7))
    record = extract(SEED_003, backend(stub, clock))
    assert record.error is None
    assert [e.values() for e in record.events] == gold(SEED_003)["events"]
    assert clock.sleeps == [7.0]  # exactly the server's Retry-After, no back-off added
    # the refused attempt is a request without tokens
    assert record.usage.requests == 2
    assert record.usage.prompt_tokens == clean.usage.prompt_tokens
    assert record.usage.completion_tokens == clean.usage.completion_tokens


def test_5xx_until_the_budget_ends_is_a_transport_error_and_the_run_goes_on(
    stub: StubServer, clock: FakeClock
) -> None:
    stub.enqueue(*[Fault.status(500)] * 5)
    records: list[Record] = []
    with backend(stub, clock) as engine:
        summary = run_extraction([SEED_000, SEED_003], engine, records.append)
    first, second = records
    assert first.error is not None and first.error.type == "TransportError"
    assert "5 attempts" in first.error.message and "HTTP 500" in first.error.message
    assert first.events == [] and first.sha256 is not None
    assert first.usage.requests == 5  # what the failed page cost is still reported
    assert second.error is None
    assert [e.values() for e in second.events] == gold(SEED_003)["events"]
    assert summary.errors == 1 and summary.documents == 2
    # five attempts for the first page (instructor did not multiply them), one for the second
    assert len(stub.chat_requests()) == 6
    assert len(clock.sleeps) == 4
    assert clock.sleeps == sorted(clock.sleeps)  # exponential back-off
    assert 1.0 <= clock.sleeps[0] <= 1.25 and 8.0 <= clock.sleeps[3] <= 10.0


def test_retry_after_beyond_the_time_budget_gives_up_at_once(
    stub: StubServer, clock: FakeClock
) -> None:
    stub.enqueue(Fault.status(503, retry_after=50), Fault.status(503, retry_after=50))
    record = extract(SEED_003, backend(stub, clock, retry_budget=60))
    assert record.error is not None and record.error.type == "TransportError"
    assert clock.sleeps == [50.0]  # a second 50 s wait would end past the 60 s budget
    assert len(stub.chat_requests()) == 2


def test_other_4xx_is_not_retried_and_keeps_the_servers_message(
    stub: StubServer, clock: FakeClock
) -> None:
    body = {"error": {"message": "This model's maximum context length is 8192 tokens"}}
    stub.enqueue(Fault.status(400, body=body))
    record = extract(SEED_003, backend(stub, clock))
    assert record.error is not None and record.error.type == "BackendError"
    assert "HTTP 400" in record.error.message
    assert "maximum context length is 8192 tokens" in record.error.message
    assert clock.sleeps == [] and len(stub.chat_requests()) == 1


def test_timeouts_and_disconnects_are_retried(stub: StubServer, clock: FakeClock) -> None:
    stub.enqueue(Fault.delay(3), Fault.disconnect())
    record = extract(SEED_003, backend(stub, clock, timeout=0.5))
    assert record.error is None
    assert record.usage.requests == 3 and len(clock.sleeps) == 2


def test_retry_after_http_date_through_an_injected_http_client(clock: FakeClock) -> None:
    """A MockTransport stands in for the server: a 503 asking for a wait as an HTTP date."""
    text = SEED_003.read_text(encoding="utf-8")
    calls: list[httpx2.Request] = []
    when = email_date(time.time() + 30)

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx2.Response(503, headers={"Retry-After": when}, json={"error": "busy"})
        answer = json.dumps(rules_answer(text))
        return httpx2.Response(200, json=completion_body(answer))

    async def run() -> Record:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
            engine = OpenAIBackend(
                model=MODEL,
                base_url="http://server.invalid/v1",
                http_client=http,
                no_cache=True,
                sleep=clock.sleep,
                clock=clock,
            )
            doc = load_document(SEED_003)
            with engine:
                return build_record(doc, engine, await engine.aextract(doc))

    record = asyncio.run(run())
    assert record.error is None and len(calls) == 2
    assert len(clock.sleeps) == 1 and 25 <= clock.sleeps[0] <= 31
    assert record.model == "mock-model"


def email_date(posix: float) -> str:
    import email.utils

    return email.utils.formatdate(posix, usegmt=True)


def completion_body(arguments: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "mock-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "PageAnswer", "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def test_retry_after_values() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": "0.5"}) == 0.5
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    date = "Wed, 21 Oct 2015 07:28:30 GMT"
    now = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.UTC).timestamp()
    assert retry_after_seconds({"retry-after": date}, now=now) == 30.0
    assert retry_after_seconds({"retry-after": date}, now=now + 60) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


# --- validation re-asks -------------------------------------------------------------------------


def fabricated_answer(path: Path) -> dict[str, Any]:
    answer = rules_answer(path.read_text(encoding="utf-8"))
    answer["events"][1]["overall_rating_quote"] = "The service was rated good in every area."
    return answer


def test_invalid_json_is_reasked_then_accepted(stub: StubServer) -> None:
    stub.enqueue(Fault.invalid_json())
    record = extract(SEED_003, backend(stub))
    assert record.error is None and record.usage.requests == 2
    assert [e.values() for e in record.events] == gold(SEED_003)["events"]
    first, second = stub.chat_requests()
    reask = messages_of(second)[len(messages_of(first)) :]
    assert [m["role"] for m in reask] == ["assistant", "tool"]
    assert reask[0]["content"] == ""  # a string, never null or [] (llama.cpp refuses those)
    assert "Your answer could not be used: the answer is not valid JSON" in reask[1]["content"]


def test_no_valid_answer_after_the_reasks_is_invalid_answer(
    stub: StubServer, capfd: pytest.CaptureFixture[str]
) -> None:
    stub.enqueue(*[Fault.invalid_json()] * 3)
    record = extract(SEED_003, backend(stub))
    assert record.error is not None and record.error.type == "InvalidAnswer"
    assert "the answer is not valid JSON" in record.error.message
    assert len(stub.chat_requests()) == 3  # the first answer and two re-asks
    assert capfd.readouterr().err == ""  # instructor's ERROR logs stay off stderr


def test_a_value_without_its_quote_is_reasked_for_the_quote(stub: StubServer) -> None:
    bad = rules_answer(SEED_003.read_text(encoding="utf-8"))
    bad["events"][0]["people_using_service_quote"] = None  # a value without its quote
    stub.enqueue(Fault.answer(bad))
    record = extract(SEED_003, backend(stub))
    assert record.error is None and record.usage.requests == 2
    tool_reply = messages_of(stub.chat_requests()[1])[-1]
    assert "events[0].people_using_service = 108 has no quote" in tool_reply["content"]


def test_fabricated_quote_is_reasked_with_the_error(stub: StubServer) -> None:
    stub.enqueue(Fault.answer(fabricated_answer(SEED_000)))
    record = extract(SEED_000, backend(stub))
    assert record.error is None and record.issues == []
    assert [e.values() for e in record.events] == gold(SEED_000)["events"]
    assert record.usage.requests == 2
    reply = messages_of(stub.chat_requests()[1])[-1]
    assert reply["role"] == "tool"
    assert "events[1].overall_rating_quote is not in the page" in reply["content"]
    assert "The service was rated good in every area." in reply["content"]


def test_fabricated_quote_insisted_on_is_kept_and_flagged(stub: StubServer) -> None:
    stub.enqueue(*[Fault.answer(fabricated_answer(SEED_000))] * 3)
    record = extract(SEED_000, backend(stub))
    assert record.error is None and record.usage.requests == 3
    event = record.events[1]
    assert event.overall_rating == "Good"  # the value is kept ...
    assert "overall_rating" not in event.evidence  # ... without evidence
    codes = {(i.code, i.severity, i.event, i.field) for i in record.issues}
    assert ("quote_not_found", "error", 1, "overall_rating") in codes
    assert ("evidence_missing", "error", 1, "overall_rating") in codes
    assert_grounded(record, load_document(SEED_000).text)


def test_quote_that_does_not_support_its_value_is_reasked(stub: StubServer) -> None:
    """The 'last rating' sentence is quoted as the event's own overall rating."""
    answer = rules_answer(SEED_003.read_text(encoding="utf-8"))
    event = answer["events"][0]
    event["overall_rating"] = "Requires improvement"
    event["overall_rating_quote"] = event["previous_rating_quote"]
    stub.enqueue(Fault.answer(answer))
    record = extract(SEED_003, backend(stub))
    assert [e.values() for e in record.events] == gold(SEED_003)["events"]
    assert record.events[0].overall_rating is None
    reply = messages_of(stub.chat_requests()[1])[-1]["content"]
    assert "events[0].overall_rating = 'Requires improvement' is not supported" in reply
    assert "not an overall rating awarded by this event" in reply


def test_a_rated_review_is_reasked(stub: StubServer) -> None:
    text = SEED_000.read_text(encoding="utf-8")
    answer = rules_answer(text)
    answer["events"][0]["overall_rating"] = "Good"
    answer["events"][0]["overall_rating_quote"] = answer["events"][1]["overall_rating_quote"]
    stub.enqueue(Fault.answer(answer))
    record = extract(SEED_000, backend(stub))
    assert [e.values() for e in record.events] == gold(SEED_000)["events"]
    reply = messages_of(stub.chat_requests()[1])[-1]["content"]
    assert "events[0] is a review" in reply and "a review awards no rating" in reply


def test_key_question_line_is_not_the_overall_rating(tmp_path: Path) -> None:
    page = Prompt.load().sources["example_page"]
    path = tmp_path / "oakfield.txt"
    path.write_text(page, encoding="utf-8")
    answer = rules_answer(page)
    answer["events"][1]["overall_rating"] = "Requires improvement"
    answer["events"][1]["overall_rating_quote"] = "Safe: Requires improvement"
    with running_stub(responder=rules_responder) as stub:
        stub.enqueue(*[Fault.answer(answer)] * 3)
        record = extract(path, backend(stub, mode="json"))
        reply = messages_of(stub.chat_requests()[1])[-1]
    assert reply["role"] == "user"  # JSON modes answer with a user message
    assert "'Safe: Requires improvement'" in reply["content"]
    assert record.usage.requests == 3
    issues = {(i.code, i.event, i.field) for i in record.issues}
    assert ("wrong_role", 1, "overall_rating") in issues


def test_a_quote_differing_in_white_space_and_typography_is_found(stub: StubServer) -> None:
    text = SEED_000.read_text(encoding="utf-8")
    answer = rules_answer(text)
    event = answer["events"][2]
    original = event["people_using_service_quote"]
    event["people_using_service_quote"] = "  AT the time of  our inspection there were 35 people"
    stub.enqueue(Fault.answer(answer))
    record = extract(SEED_000, backend(stub))
    assert record.usage.requests == 1  # found after folding: no re-ask
    ev = record.events[2].evidence["people_using_service"]
    assert ev.quote == "At the time of our inspection there were 35 people"
    assert original.startswith(ev.quote) and text[ev.start : ev.end] == ev.quote
    warning = [i for i in record.issues if i.code == "quote_normalized"]
    assert len(warning) == 1 and warning[0].severity == "warning"
    assert warning[0].event == 2 and "letter case" in warning[0].message


# --- cache ------------------------------------------------------------------------------------


def test_second_run_is_served_from_the_cache(stub: StubServer, tmp_path: Path) -> None:
    first = extract(SEED_000, backend(stub, cache_dir=tmp_path / "cache"))
    assert first.cached is False and len(stub.chat_requests()) == 1
    second = extract(SEED_000, backend(stub, cache_dir=tmp_path / "cache"))
    assert len(stub.chat_requests()) == 1  # no request at all
    assert second.cached is True
    assert second.usage == Usage()  # nothing spent now ...
    assert second.cached_usage == first.usage and first.usage.requests == 1  # ... what it cost
    assert second.model == first.model and second.prompt == first.prompt
    skip = {"cached", "usage", "cached_usage"}
    assert second.model_dump(exclude=skip) == first.model_dump(exclude=skip)


def test_no_cache_neither_reads_nor_writes(stub: StubServer, tmp_path: Path) -> None:
    extract(SEED_000, backend(stub, cache_dir=tmp_path / "c", no_cache=True))
    extract(SEED_000, backend(stub, cache_dir=tmp_path / "c", no_cache=True))
    assert len(stub.chat_requests()) == 2
    assert not (tmp_path / "c").exists()


def test_errors_are_not_cached(stub: StubServer, tmp_path: Path) -> None:
    stub.enqueue(*[Fault.invalid_json()] * 3)
    assert extract(SEED_003, backend(stub, cache_dir=tmp_path / "c")).error is not None
    again = extract(SEED_003, backend(stub, cache_dir=tmp_path / "c"))
    assert again.error is None and again.cached is False


def test_cache_key_names_every_input(stub: StubServer, tmp_path: Path) -> None:
    doc = load_document(SEED_000)

    def key(**options: Any) -> str:
        prompt = options.pop("prompt", None)
        with backend(stub, prompt=prompt, **options) as engine:
            return engine.cache_key(doc)

    base = key()
    assert key() == base
    prompt = Prompt.load()
    edited = Prompt(prompt.name, {**prompt.sources, "system": prompt.sources["system"] + "\n"})
    changed = {
        "model": key(model="other-model"),
        "prompt": key(prompt=edited),
        "temperature": key(temperature=0.7),
        "mode": key(mode="json"),
        "chunk": key(chunk_chars=10_000),
        "document": "",
    }
    with backend(stub) as engine:
        changed["document"] = engine.cache_key(Document.from_text(doc.text + "\n"))
    assert base not in changed.values()
    assert len(set(changed.values())) == len(changed)
    assert edited.id != prompt.id


# --- configuration ------------------------------------------------------------------------------


def run_cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_no_key_and_no_base_url_exits_2_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code = run_cli(["extract", str(SEED_000), "--backend", "openai"])
    assert code == 2 and time.monotonic() - started < 5
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1
    assert "OPENAI_API_KEY" in lines[0] and "--base-url" in lines[0]


def test_no_key_and_no_base_url_in_a_clean_process() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-m", "extractor", "extract", str(SEED_000), "--backend", "openai"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "OPENAI_API_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_model_is_required(stub: StubServer, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(["extract", str(SEED_000), "--backend", "openai", "--base-url", stub.base_url])
    assert code == 2
    assert "--model" in capsys.readouterr().err
    assert stub.requests == []


def test_env_gives_model_and_server_and_a_dummy_key(
    stub: StubServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CQC_EXTRACT_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    with OpenAIBackend(cache_dir=tmp_path / "c") as engine:
        record = extract_document(SEED_003, engine)
    assert record.error is None
    request = stub.chat_requests()[0]
    assert request["json"]["model"] == "env-model"
    assert request["headers"]["authorization"] == f"Bearer {DUMMY_KEY}"


def test_misspelt_option_is_a_configuration_error(stub: StubServer) -> None:
    with pytest.raises(ConfigurationError, match="temprature"):
        OpenAIBackend(model=MODEL, base_url=stub.base_url, temprature=0.5)
    with pytest.raises(ConfigurationError, match="mode"):
        OpenAIBackend(model=MODEL, base_url=stub.base_url, mode="xml")


def test_cli_extract_with_the_openai_backend(stub: StubServer, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    args = [
        "extract",
        str(SEED_000),
        str(SEED_003),
        "--backend",
        "openai",
        "--model",
        MODEL,
        "--base-url",
        stub.base_url,
        "--mode",
        "json_schema",
        "--temperature",
        "0.2",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--concurrency",
        "2",
        "-o",
        str(out),
        "-q",
    ]
    assert run_cli(args) == 0
    assert run_cli([*args, "--append"]) == 0  # an existing output needs a word
    records = [Record.from_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4 and len(stub.chat_requests()) == 2
    assert [r.cached for r in records] == [False, False, True, True]
    for r in records:
        assert r.backend == "openai" and r.error is None and r.prompt == Prompt.load().id
    request = stub.chat_requests()[0]["json"]
    assert request["temperature"] == 0.2 and request["response_format"]["type"] == "json_schema"


def test_rules_users_never_import_openai() -> None:
    code = (
        "import sys, extractor, extractor.cli\n"
        "from extractor.backends import get_backend, backend_names\n"
        "assert 'openai' in backend_names()\n"
        "get_backend('rules')\n"
        "print(sorted(m for m in ('openai', 'instructor', 'httpx2') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- long pages -------------------------------------------------------------------------------


def test_long_page_is_read_in_parts_with_absolute_offsets(stub: StubServer, tmp_path: Path) -> None:
    text = long_page(8)
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    record = extract(path, backend(stub, chunk_chars=15_000, chunk_overlap=1_000))
    requests = stub.chat_requests()
    assert len(requests) > 2 and record.usage.requests == len(requests)
    assert f"part 2 of {len(requests)}" in messages_of(requests[1])[-1]["content"]
    assert record.error is None
    assert [e.date for e in record.events] == [dt.date(2022 - i, 3, 1 + i) for i in range(8)]
    assert [e.people_using_service for e in record.events] == [20 + i for i in range(8)]
    assert [e.announced for e in record.events] == [False, None] * 4
    doc = load_document(path)
    for event in record.events:
        assert event.evidence
        for ev in event.evidence.values():
            assert ev.holds_in(doc.text)
    assert [i for i in record.issues if i.severity == "error"] == []


# --- concurrency ----------------------------------------------------------------------------


def test_concurrent_documents_overlap(tmp_path: Path) -> None:
    base = SEED_000.read_text(encoding="utf-8")
    paths = []
    for n in range(8):
        path = tmp_path / f"doc{n}.txt"
        path.write_text(f"{base}\n\nCopy {n}.\n", encoding="utf-8")
        paths.append(path)
    latency = 0.3
    records: list[Record] = []
    with running_stub(responder=rules_responder, latency=latency) as stub:
        with backend(stub) as engine:
            started = time.monotonic()
            run_extraction(paths, engine, records.append, concurrency=8)
            elapsed = time.monotonic() - started
        arrivals = [r["time"] for r in stub.chat_requests()]
    assert len(records) == 8 and all(r.error is None for r in records)
    assert len({r.sha256 for r in records}) == 8
    assert max(arrivals) - min(arrivals) < latency  # all sent before the first came back
    assert elapsed < 8 * latency * 0.6


def test_sync_extract_works_inside_a_running_loop(stub: StubServer) -> None:
    doc = load_document(SEED_003)

    async def inside() -> Record:
        with backend(stub) as engine:
            return build_record(doc, engine, engine.extract(doc))

    record = asyncio.run(inside())
    assert record.error is None and len(record.events) == 2


def test_transport_error_from_the_library_call(stub: StubServer, clock: FakeClock) -> None:
    stub.enqueue(*[Fault.status(502)] * 2)
    doc = load_document(SEED_003)
    with (
        backend(stub, clock, max_attempts=2) as engine,
        pytest.raises(TransportError, match="2 attempts"),
    ):
        engine.extract(doc)


def test_one_client_per_event_loop_reused_and_closed_at_loop_shutdown(stub: StubServer) -> None:
    docs = [load_document(SEED_000), load_document(SEED_003)]
    seen: list[Any] = []

    async def run(engine: OpenAIBackend) -> None:
        for doc in docs:
            await engine.aextract(doc)
            seen.append(await engine._loop_client())

    with backend(stub) as engine:
        asyncio.run(run(engine))
        first = seen[0]
        assert seen[1] is first  # kept alive across documents
        assert first.is_closed()  # closed inside its loop when asyncio.run shut it down
        asyncio.run(run(engine))  # a new loop gets a new client
        assert seen[2] is not first and seen[2].is_closed()
    assert len(stub.chat_requests()) == 4


def test_aclose_closes_the_client_of_the_running_loop(stub: StubServer) -> None:
    async def run() -> Any:
        engine = backend(stub)
        await engine.aextract(load_document(SEED_003))
        client = await engine._loop_client()
        await engine.aclose()
        return client

    assert asyncio.run(run()).is_closed()


def test_instructor_logs_stay_off_stderr_in_a_clean_process(tmp_path: Path) -> None:
    """Outside pytest (whose log capture would hide it) no logging is configured: instructor's
    ERROR lines about failed attempts must still not reach stderr."""
    with running_stub(responder=lambda request: "not json at all") as stub:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "extractor",
                "extract",
                str(SEED_003),
                "--backend",
                "openai",
                "--model",
                MODEL,
                "--base-url",
                stub.base_url,
                "--no-cache",
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert len(stub.chat_requests()) == 3
    assert done.returncode == 1
    record = Record.from_json(done.stdout)
    assert record.error is not None and record.error.type == "InvalidAnswer"
    assert done.stderr == ""
