"""The model path replayed offline from recorded HTTP exchanges (``cassettes/``).

Each case runs a seed page through the ``openai`` backend inside a vcrpy cassette named
``cassettes/<this module>/<test name>.yaml``, with ``record_mode="none"``: nothing leaves the
machine, and a request the cassette does not hold fails the test. Requests are matched on
method, path and *body*, so a changed prompt, schema or model fails instead of replaying a
stale answer (re-record with ``make record``, which runs ``scripts/record.py``).

vcrpy 9.4.2 patches ``httpx2.HTTPTransport`` / ``httpx2.AsyncHTTPTransport`` itself (its
``httpx2`` patcher group), which is the transport openai 3.3.0 uses: no custom stubs are
needed. :func:`test_vcr_intercepts_the_openai_transport` proves it stays so.

The recording configuration (:func:`vcr_config`, :data:`CASES`, :func:`run_case`) lives here
and is imported by ``scripts/record.py``, so recording and replay cannot drift apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml

from extractor.document import Document
from extractor.errors import TransportError
from extractor.llm.online import OpenAIBackend
from extractor.loading import load_document
from extractor.pipeline import build_record
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
SEEDS = ROOT / "seeds"
MODULE = Path(__file__).stem

#: Request headers never written to a cassette: credentials, and machine-specific noise.
SECRET_HEADERS = (
    "authorization",
    "api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)
_NOISE_HEADER = re.compile(r"^(?:x-stainless-.*|user-agent|host|x-request-id)$", re.I)
#: Response headers dropped before recording (real servers send account and tracing data).
_RESPONSE_DROP = re.compile(
    r"^(?:set-cookie|openai-organization|openai-project|openai-processing-ms|x-request-id|"
    r"cf-ray|cf-cache-status|x-ratelimit-.*|strict-transport-security|alt-svc|date|server)$",
    re.I,
)
_LOCAL_PORT = re.compile(r"^(http://127\.0\.0\.1):\d+")


@dataclass(frozen=True)
class Case:
    """One recorded run: a seed page through the backend in one mode."""

    test: str
    seed: str
    mode: str = "tools"
    #: Needs scripted stub faults (a re-ask): only ever recorded against the stub.
    stub_only: bool = False

    @property
    def cassette(self) -> Path:
        return CASSETTES / MODULE / f"{self.test}.yaml"


CASES: dict[str, Case] = {
    c.test: c
    for c in [
        Case("test_seed_000_tools", "000_5a6e1a8d91a200b5"),
        Case("test_seed_003_tools", "003_7166d48ac7fe3a64"),
        Case("test_seed_003_json_schema", "003_7166d48ac7fe3a64", mode="json_schema"),
        Case("test_seed_000_reask_fabricated_quote", "000_5a6e1a8d91a200b5", stub_only=True),
    ]
}


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if _NOISE_HEADER.match(name):
            del request.headers[name]
    request.uri = _LOCAL_PORT.sub(r"\1", request.uri)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    for name in list(headers):
        if _RESPONSE_DROP.match(name):
            del headers[name]
    return response


def vcr_config(record_mode: str = "none") -> vcr.VCR:
    """The one vcrpy configuration for recording and replaying."""
    return vcr.VCR(
        record_mode=record_mode,
        filter_headers=list(SECRET_HEADERS),
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
        match_on=["method", "path", "body"],
    )


def run_case(case: Case, *, base_url: str, model: str, api_key: str | None = None) -> Record:
    """Run ``case``'s seed page through the openai backend (no cache) and build its record."""
    doc = load_document(SEEDS / f"{case.seed}.txt")
    options: dict[str, Any] = {"api_key": api_key} if api_key else {}
    with OpenAIBackend(
        model=model, base_url=base_url, mode=case.mode, no_cache=True, max_attempts=1, **options
    ) as backend:
        return build_record(doc, backend, backend.extract(doc))


def gold_events(seed: str) -> tuple[str | None, list[dict[str, Any]]]:
    gold = json.loads((SEEDS / f"{seed}.gold.json").read_text(encoding="utf-8"))
    return gold["current_rating"], gold["events"]


def recorded(case: Case) -> list[dict[str, Any]]:
    """The interactions of a case's cassette."""
    data = yaml.safe_load(case.cassette.read_text(encoding="utf-8"))
    return list(data["interactions"])


def _replay_target(case: Case) -> tuple[str, str]:
    """(base URL, model) that reproduce the recorded requests: the model is the one the
    recording asked for, and the URL path the one it used (the host is never contacted)."""
    first = recorded(case)[0]["request"]
    model = json.loads(first["body"])["model"]
    path = re.sub(r"^[a-z]+://[^/]+", "", first["uri"])
    prefix = path.removesuffix("/chat/completions")
    return f"http://127.0.0.1:9{prefix}", model


def _replay(case: Case) -> tuple[Record, Document, Any]:
    base_url, model = _replay_target(case)
    with vcr_config("none").use_cassette(str(case.cassette)) as cassette:
        record = run_case(case, base_url=base_url, model=model)
    return record, load_document(SEEDS / f"{case.seed}.txt"), cassette


def _assert_matches_gold(case: Case, record: Record, doc: Document) -> None:
    current, events = gold_events(case.seed)
    assert record.error is None
    assert [e.values() for e in record.events] == events
    assert record.current_rating == current
    for event in record.events:
        assert event.evidence, "every event carries evidence"
        for ev in event.evidence.values():
            assert doc.text[ev.start : ev.end] == ev.quote
    assert not [i for i in record.issues if i.severity == "error"]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.stub_only])
def test_cassettes_exist_for_every_case(name: str) -> None:
    assert CASES[name].cassette.is_file(), f"missing {CASES[name].cassette}: run make record"


def test_seed_000_tools() -> None:
    case = CASES["test_seed_000_tools"]
    record, doc, cassette = _replay(case)
    _assert_matches_gold(case, record, doc)
    assert cassette.all_played and cassette.play_count == 1
    assert record.usage.requests == 1 and record.usage.prompt_tokens > 0
    assert record.prompt is not None and re.fullmatch(r"extract@[0-9a-f]{8}", record.prompt)
    body = json.loads(recorded(case)[0]["response"]["body"]["string"])
    assert record.model == body["model"]


def test_seed_003_tools() -> None:
    case = CASES["test_seed_003_tools"]
    record, doc, cassette = _replay(case)
    _assert_matches_gold(case, record, doc)
    # the trap of seed 003: the new overall rating is not stated, so it stays null
    assert record.events[0].overall_rating is None
    assert cassette.all_played and cassette.play_count == 1


def test_seed_003_json_schema() -> None:
    case = CASES["test_seed_003_json_schema"]
    record, doc, _ = _replay(case)
    _assert_matches_gold(case, record, doc)
    request = json.loads(recorded(case)[0]["request"]["body"])
    assert request["response_format"]["type"] == "json_schema"
    assert "tools" not in request


def test_seed_000_reask_fabricated_quote() -> None:
    case = CASES["test_seed_000_reask_fabricated_quote"]
    record, doc, cassette = _replay(case)
    _assert_matches_gold(case, record, doc)
    assert cassette.play_count == 2 and record.usage.requests == 2
    second = json.loads(recorded(case)[1]["request"]["body"])
    assert any(
        m["role"] == "tool" and "is not in the page" in m["content"] for m in second["messages"]
    )


def test_changed_request_does_not_replay() -> None:
    """Matching on the body: a request the cassette does not hold is refused, not replayed
    (here the model name differs; a changed prompt or schema is refused the same way)."""
    case = CASES["test_seed_003_tools"]
    base_url, model = _replay_target(case)
    with (
        vcr_config("none").use_cassette(str(case.cassette)) as cassette,
        pytest.raises(TransportError, match="Can't play back this request"),
    ):
        run_case(case, base_url=base_url, model=model + "-other")
    assert cassette.play_count == 0


def test_vcr_intercepts_the_openai_transport() -> None:
    """openai 3.3.0 sends through httpx2; vcrpy must patch exactly the transports it uses."""
    import httpx2
    import openai

    client = openai.AsyncOpenAI(api_key="dummy", base_url="http://127.0.0.1:9/v1", max_retries=0)
    assert isinstance(client._client, httpx2.AsyncClient)
    originals = (
        httpx2.HTTPTransport.handle_request,
        httpx2.AsyncHTTPTransport.handle_async_request,
    )
    with vcr_config("none").use_cassette(str(CASES["test_seed_003_tools"].cassette)):
        assert httpx2.HTTPTransport.handle_request is not originals[0]
        assert httpx2.AsyncHTTPTransport.handle_async_request is not originals[1]
    assert httpx2.HTTPTransport.handle_request is originals[0]
    assert httpx2.AsyncHTTPTransport.handle_async_request is originals[1]


_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}|\bBearer\s+[A-Za-z0-9._\-]{8,}", re.I)


def test_no_credentials_in_cassettes() -> None:
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    assert files, "no cassettes recorded"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not _KEY_LIKE.search(text), f"{path}: looks like a key or bearer token"
        data = yaml.safe_load(text)
        for interaction in data.get("interactions", []):
            for part in ("request", "response"):
                headers = {h.lower() for h in interaction[part].get("headers") or {}}
                leaked = headers & set(SECRET_HEADERS)
                assert not leaked, f"{path}: {part} carries {sorted(leaked)}"
