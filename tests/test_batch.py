"""The Batch API path against the stub server: prepare, submit, status, collect, ingest.

The central promise: for the same answers, ``batch ingest`` gives the records the online path
(``extract --backend openai``) gives, apart from ``usage`` and ``cached``; and the requests it
prepares are exactly the ones the online path sends. Results files are made by the stub's own
batch processing (``stub.batch_output_line``), answering like the online stub does.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from pages import long_page as long_page_text
from stub_server import Fault, StubServer, rules_answer, running_stub

from extractor.cli import main
from extractor.errors import BackendError, TransportError
from extractor.llm.batch import (
    BatchState,
    collect,
    ingest,
    prepare,
    read_manifest,
    submit,
)
from extractor.llm.cache import ResultCache
from extractor.llm.online import OpenAIBackend
from extractor.llm.prompting import Prompt, document_in_messages
from extractor.llm.protocol import RequestSettings
from extractor.loading import load_document
from extractor.pipeline import extract_document
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"
SEED_003 = ROOT / "seeds" / "003_7166d48ac7fe3a64.txt"
MODEL = "stub-model"
MODES = ["tools", "json_schema", "json"]
LONG = {"chunk_chars": 15_000, "chunk_overlap": 1_000}


def rules_responder(request: dict[str, Any]) -> dict[str, Any]:
    text = document_in_messages(request["messages"])
    assert text is not None, "every request carries the document"
    return rules_answer(text)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with running_stub(responder=rules_responder) as server:
        yield server


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI as users run it (``main``: usage errors exit 2); (code, stdout, stderr)."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def records_of(path: Path) -> list[Record]:
    return [Record.from_json(line) for line in path.read_text(encoding="utf-8").splitlines()]


def make_results(stub: StubServer, request_files: list[Path], out: Path) -> Path:
    """A Batch API output file for the request files, answered by the stub."""
    rows = [stub.batch_output_line(line) for f in request_files for line in lines_of(f)]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return out


def long_page(path: Path, events: int = 6) -> Path:
    """A page long enough to be read in several parts at ``LONG``'s chunk size."""
    path.write_text(long_page_text(events), encoding="utf-8")
    return path


def online(stub: StubServer, paths: list[Path], **options: Any) -> list[Record]:
    options.setdefault("no_cache", True)
    with OpenAIBackend(model=MODEL, base_url=stub.base_url, **options) as engine:
        return [extract_document(p, engine) for p in paths]


def settings(stub: StubServer, **options: Any) -> RequestSettings:
    return RequestSettings.parse(model=MODEL, base_url=stub.base_url, **options)


def comparable(record: Record) -> dict[str, Any]:
    return record.model_dump(exclude={"usage", "cached"})


# --- prepare --------------------------------------------------------------------------------------


def test_prepare_writes_batch_api_lines_and_a_manifest(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "req" / "requests.jsonl"
    code, stdout, stderr = run(
        capsys,
        "batch",
        "prepare",
        str(SEED_000),
        str(SEED_003),
        "-o",
        str(requests),
        "--model",
        MODEL,
        "--base-url",
        stub.base_url,
        "--temperature",
        "0.3",
    )
    assert code == 0
    assert stdout.splitlines() == [str(requests)]
    assert "2 documents, 2 requests in 1 file" in stderr
    lines = lines_of(requests)
    assert [sorted(line) for line in lines] == [["body", "custom_id", "method", "url"]] * 2
    assert {(line["method"], line["url"]) for line in lines} == {("POST", "/v1/chat/completions")}
    ids = [line["custom_id"] for line in lines]
    assert ids == [f"{sha(SEED_000)[:16]}-0", f"{sha(SEED_003)[:16]}-0"]
    assert all(len(i) <= 64 for i in ids)
    for line in lines:
        body = line["body"]
        assert body["model"] == MODEL and body["temperature"] == 0.3
        assert body["tools"][0]["function"]["name"] == "PageAnswer"
        assert body["tool_choice"] == {"type": "function", "function": {"name": "PageAnswer"}}

    manifest = read_manifest(tmp_path / "req" / "requests.manifest.jsonl")
    assert list(manifest) == ids
    entry = manifest[ids[0]]
    text = load_document(SEED_000).text
    assert entry.file == "requests.jsonl"
    assert entry.sha256 == sha(SEED_000)
    assert [(s.source, s.path) for s in entry.sources] == [(str(SEED_000), str(SEED_000))]
    assert (entry.chunk.index, entry.chunk.count, entry.chunk.start) == (0, 1, 0)
    assert entry.chunk.end == len(text)
    assert (entry.mode, entry.model, entry.prompt) == ("tools", MODEL, Prompt.load().id)
    with OpenAIBackend(model=MODEL, base_url=stub.base_url, temperature=0.3) as engine:
        assert entry.cache_key == engine.cache_key_parts()  # what extract's key is made of


def test_custom_ids_and_files_are_stable_across_runs(stub: StubServer, tmp_path: Path) -> None:
    page = long_page(tmp_path / "long.txt")
    paths = [SEED_000, page, SEED_003]
    first = prepare(paths, tmp_path / "a" / "r.jsonl", settings(stub, **LONG))
    second = prepare(paths, tmp_path / "b" / "r.jsonl", settings(stub, **LONG))
    assert first.files[0].read_bytes() == second.files[0].read_bytes()
    ids = [line["custom_id"] for line in lines_of(first.files[0])]
    parts = first.requests - 2
    assert parts > 2 and len(set(ids)) == len(ids) == first.requests
    assert ids[1 : 1 + parts] == [f"{sha(page)[:16]}-{n}" for n in range(parts)]
    manifest = read_manifest(first.manifest)
    chunks = [manifest[i].chunk for i in ids[1 : 1 + parts]]
    assert [c.count for c in chunks] == [parts] * parts
    assert chunks[0].start == 0 and chunks[-1].end == len(page.read_text(encoding="utf-8"))
    assert all(a.start < b.start <= a.end <= b.end for a, b in itertools.pairwise(chunks))


@pytest.mark.parametrize("mode", MODES)
def test_each_body_is_exactly_the_request_the_online_path_sends(
    stub: StubServer, tmp_path: Path, mode: str
) -> None:
    page = long_page(tmp_path / "long.txt")
    online(stub, [SEED_000, page], mode=mode, temperature=0.4, **LONG)
    sent = [r["json"] for r in stub.chat_requests()]
    result = prepare(
        [SEED_000, page], tmp_path / "r.jsonl", settings(stub, mode=mode, temperature=0.4, **LONG)
    )
    bodies = [line["body"] for line in lines_of(result.files[0])]
    assert len(sent) == len(bodies) > 2  # one per part of the long page
    assert bodies == sent


def test_requests_are_split_at_the_limits(stub: StubServer, tmp_path: Path) -> None:
    docs = []
    for n in range(5):
        doc = tmp_path / "in" / f"d{n}.txt"
        doc.parent.mkdir(exist_ok=True)
        doc.write_text(SEED_003.read_text(encoding="utf-8") + f"\nCopy {n}.\n", encoding="utf-8")
        docs.append(doc)
    out = tmp_path / "out" / "requests.jsonl"
    by_count = prepare(docs, out, settings(stub), max_requests=2)
    assert [p.name for p in by_count.files] == [f"requests.00{n}.jsonl" for n in (1, 2, 3)]
    assert [len(lines_of(p)) for p in by_count.files] == [2, 2, 1]
    assert not out.exists()
    manifest = read_manifest(by_count.manifest)
    for path in by_count.files:  # the manifest names the file that holds each request
        assert {line["custom_id"] for line in lines_of(path)} == {
            i for i, e in manifest.items() if e.file == path.name
        }

    size = max(len(line) for line in by_count.files[0].read_bytes().splitlines(keepends=True))
    by_bytes = prepare(docs, out, settings(stub), max_file_bytes=size + 10)
    assert len(by_bytes.files) == 5 and all(len(lines_of(p)) == 1 for p in by_bytes.files)
    assert all(p.stat().st_size <= size + 10 for p in by_bytes.files)

    whole = prepare(docs, out, settings(stub))  # a later run under the limits: one file,
    assert whole.files == [out] and len(lines_of(out)) == 5  # and no stale numbered file
    assert sorted(p.name for p in out.parent.glob("*.jsonl")) == [
        "requests.jsonl",
        "requests.manifest.jsonl",
    ]


def test_unreadable_inputs_are_reported_left_out_and_exit_1(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text(SEED_003.read_text(encoding="utf-8"), encoding="utf-8")
    (pages / "b_empty.txt").write_bytes(b"")
    out = tmp_path / "r.jsonl"
    code, stdout, stderr = run(
        capsys, "batch", "prepare", str(pages), "-o", str(out), "--model", MODEL, "-q"
    )
    assert code == 1
    assert stdout.splitlines() == [str(out)]
    assert len(lines_of(out)) == 1
    bad = [line for line in stderr.splitlines() if "b_empty.txt" in line]
    assert len(bad) == 1 and "empty" in bad[0]


def test_prepare_needs_a_model_and_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run(capsys, "batch", "prepare", str(SEED_000), "-o", str(tmp_path / "r"))
    assert code == 2 and "--model" in stderr and len(stderr.strip().splitlines()) == 1
    code, _, _ = run(
        capsys, "batch", "prepare", str(SEED_000), "-o", str(tmp_path / "r.jsonl"), "--model", "m"
    )
    assert code == 0  # preparing talks to no server: no key needed


# --- ingest ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_ingest_gives_the_online_records_in_every_mode(
    stub: StubServer, tmp_path: Path, mode: str
) -> None:
    paths = [SEED_000, SEED_003, long_page(tmp_path / "long.txt")]
    expected = online(stub, paths, mode=mode, **LONG)
    prepared = prepare(paths, tmp_path / "r.jsonl", settings(stub, mode=mode, **LONG))
    results = make_results(stub, prepared.files, tmp_path / "results.jsonl")
    records: list[Record] = []
    report = ingest([results], prepared.manifest, records.append)
    assert not report.failed and report.missing == 0
    assert [comparable(r) for r in records] == [comparable(r) for r in expected]
    assert all(r.error is None and r.events for r in records)
    assert expected[2].usage.requests > 2  # the long page was read in parts, and merged
    # usage: one request per result line, and the tokens the bodies report
    bodies = [row["response"]["body"] for row in lines_of(results)]
    assert sum(r.usage.requests for r in records) == len(bodies)
    assert sum(r.usage.prompt_tokens for r in records) == sum(
        b["usage"]["prompt_tokens"] for b in bodies
    )
    assert sum(r.usage.completion_tokens for r in records) == sum(
        b["usage"]["completion_tokens"] for b in bodies
    )
    assert [r.cached for r in records] == [False] * 3


def test_failed_request_lines_give_error_records(stub: StubServer, tmp_path: Path) -> None:
    copies = []
    for n in range(4):
        path = tmp_path / f"p{n}.txt"
        path.write_text(SEED_003.read_text(encoding="utf-8") + f"\nCopy {n}.\n", encoding="utf-8")
        copies.append(path)
    prepared = prepare(copies, tmp_path / "r.jsonl", settings(stub))
    ids = [line["custom_id"] for line in lines_of(prepared.files[0])]
    stub.fail_batch_request(ids[0], Fault.status(500))
    body = {"error": {"message": "This model's maximum context length is 8192 tokens"}}
    stub.fail_batch_request(ids[1], Fault.status(400, body=body))
    stub.fail_batch_request(ids[2], Fault.disconnect())  # never answered (expired)
    results = make_results(stub, prepared.files, tmp_path / "results.jsonl")
    records: list[Record] = []
    report = ingest([results], prepared.manifest, records.append)
    assert report.failed and report.summary.errors == 3
    by_source = {Path(r.source).name: r for r in records}
    first, second, third, fourth = (by_source[f"p{n}.txt"] for n in range(4))
    assert first.error is not None and first.error.type == "TransportError"
    assert "HTTP 500" in first.error.message
    assert second.error is not None and second.error.type == "BackendError"
    assert "HTTP 400" in second.error.message and "8192 tokens" in second.error.message
    assert third.error is not None and third.error.type == "TransportError"
    assert "batch_expired" in third.error.message
    for failed in (first, second, third):
        assert failed.events == [] and failed.sha256 is not None
        assert failed.usage.requests == 1
    assert fourth.error is None and len(fourth.events) == 2
    # the last document completed first: written as soon as it was; the failed ones at the end
    assert Path(records[0].source).name == "p3.txt"


def test_a_later_success_replaces_a_failed_line(stub: StubServer, tmp_path: Path) -> None:
    prepared = prepare([SEED_003], tmp_path / "r.jsonl", settings(stub))
    (custom_id,) = read_manifest(prepared.manifest)
    stub.fail_batch_request(custom_id, Fault.status(503))
    failed = make_results(stub, prepared.files, tmp_path / "first.jsonl")
    stub.fail_batch_request(custom_id, Fault.delay(0))  # answered normally now
    retried = make_results(stub, prepared.files, tmp_path / "second.jsonl")
    records: list[Record] = []
    ingest([failed, retried], prepared.manifest, records.append)
    assert len(records) == 1 and records[0].error is None and len(records[0].events) == 2


def fabricated(path: Path) -> dict[str, Any]:
    answer = rules_answer(path.read_text(encoding="utf-8"))
    answer["events"][1]["overall_rating_quote"] = "The service was rated good in every area."
    return answer


def test_invalid_answers_are_handled_as_online_with_no_reasks_left(
    stub: StubServer, tmp_path: Path
) -> None:
    """Not valid JSON: an InvalidAnswer record. A quote not in the page: the answer kept with
    its issues. Both exactly as the online path with ``reasks=0``; neither is cached."""
    stub.enqueue(Fault.invalid_json(), Fault.answer(fabricated(SEED_000)))
    expected = online(stub, [SEED_003, SEED_000], reasks=0)
    prepared = prepare([SEED_003, SEED_000], tmp_path / "r.jsonl", settings(stub))
    id_003, id_000 = read_manifest(prepared.manifest)
    stub.fail_batch_request(id_003, Fault.invalid_json())
    stub.fail_batch_request(id_000, Fault.answer(fabricated(SEED_000)))
    results = make_results(stub, prepared.files, tmp_path / "results.jsonl")
    records: list[Record] = []
    with ResultCache(tmp_path / "cache") as cache:
        ingest([results], prepared.manifest, records.append, cache=cache)
        assert len(cache) == 0  # extract (with re-asks) would have asked again
    invalid, kept = records
    assert invalid.error is not None and invalid.error.type == "InvalidAnswer"
    assert invalid.error.message.startswith("no valid answer from the model after 1 answers:")
    assert "the answer is not valid JSON" in invalid.error.message
    assert invalid.usage.requests == 1 and invalid.usage.prompt_tokens > 0
    assert kept.error is None and kept.events[1].overall_rating == "Good"
    assert "overall_rating" not in kept.events[1].evidence
    codes = {(i.code, i.event, i.field) for i in kept.issues}
    assert {
        ("quote_not_found", 1, "overall_rating"),
        ("evidence_missing", 1, "overall_rating"),
    } <= codes
    assert comparable(invalid) == comparable(expected[0])
    assert comparable(kept) == comparable(expected[1])


def test_parts_missing_from_the_results(stub: StubServer, tmp_path: Path) -> None:
    page = long_page(tmp_path / "long.txt")
    prepared = prepare([SEED_000, page, SEED_003], tmp_path / "r.jsonl", settings(stub, **LONG))
    rows = lines_of(make_results(stub, prepared.files, tmp_path / "all.jsonl"))
    long_id = f"{sha(page)[:16]}-1"
    kept = [
        r
        for r in rows
        if r["custom_id"] != long_id and not r["custom_id"].startswith(sha(SEED_003)[:16])
    ]
    results = tmp_path / "some.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    records: list[Record] = []
    report = ingest([results], prepared.manifest, records.append)
    assert report.missing == 1  # SEED_003: no result at all, no record
    assert [Path(r.source).name for r in records] == [SEED_000.name, "long.txt"]
    partial = records[1]
    assert partial.error is not None and long_id in partial.error.message
    assert "no result for this part" in partial.error.message
    assert partial.usage.requests == len(
        [r for r in kept if r["custom_id"].startswith(sha(page)[:16])]
    )


def test_the_same_bytes_under_two_paths_are_asked_once_and_recorded_twice(
    stub: StubServer, tmp_path: Path
) -> None:
    twin = tmp_path / "twin.txt"
    twin.write_bytes(SEED_003.read_bytes())
    prepared = prepare([SEED_003, twin], tmp_path / "r.jsonl", settings(stub))
    assert prepared.documents == 2 and prepared.requests == 1
    results = make_results(stub, prepared.files, tmp_path / "results.jsonl")
    records: list[Record] = []
    ingest([results], prepared.manifest, records.append)
    assert [r.source for r in records] == [str(SEED_003), str(twin)]
    assert comparable(records[0]) == {**comparable(records[1]), "source": str(SEED_003)}


def test_a_document_changed_since_prepare_is_an_error(stub: StubServer, tmp_path: Path) -> None:
    page = tmp_path / "p.txt"
    page.write_bytes(SEED_003.read_bytes())
    prepared = prepare([page], tmp_path / "r.jsonl", settings(stub))
    results = make_results(stub, prepared.files, tmp_path / "results.jsonl")
    page.write_text(SEED_003.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    records: list[Record] = []
    ingest([results], prepared.manifest, records.append)
    (record,) = records
    assert (
        record.error is not None
        and "changed since the requests were prepared" in record.error.message
    )
    assert record.sha256 == sha(page)


def test_ingest_fills_the_cache_and_extract_then_asks_nothing(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "r.jsonl"
    common = ["--model", MODEL, "--base-url", stub.base_url, "--mode", "json_schema"]
    assert (
        run(capsys, "batch", "prepare", str(SEED_000), str(SEED_003), "-o", str(requests), *common)[
            0
        ]
        == 0
    )
    results = make_results(stub, [requests], tmp_path / "results.jsonl")
    cache = str(tmp_path / "cache")
    ingested = tmp_path / "ingested.jsonl"
    code, stdout, _ = run(
        capsys, "batch", "ingest", str(results), "-o", str(ingested), "--cache-dir", cache
    )
    assert code == 0 and stdout == ""
    extracted = tmp_path / "extracted.jsonl"
    code, _, _ = run(
        capsys,
        "extract",
        str(SEED_000),
        str(SEED_003),
        "--backend",
        "openai",
        *common,
        "--cache-dir",
        cache,
        "-o",
        str(extracted),
    )
    assert code == 0
    assert stub.chat_requests() == []  # every document came from the cache
    batch_records, cached = records_of(ingested), records_of(extracted)
    assert [r.cached for r in cached] == [True, True]
    skip = {"cached", "usage", "cached_usage"}
    assert [r.model_dump(exclude=skip) for r in cached] == [
        r.model_dump(exclude=skip) for r in batch_records
    ]
    # a cache hit spent nothing, and reports beside it what the original requests cost
    assert [r.usage.requests for r in cached] == [0, 0]
    assert [r.cached_usage for r in cached] == [r.usage for r in batch_records]
    # with other options (here the default mode, tools) the key differs: no hit
    args = ["--model", MODEL, "--base-url", stub.base_url, "--cache-dir", cache, "-q"]
    code, _, _ = run(capsys, "extract", str(SEED_003), "--backend", "openai", *args)
    assert code == 0 and len(stub.chat_requests()) == 1


def test_ingest_reports_lines_it_does_not_understand(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared = prepare([SEED_003], tmp_path / "r.jsonl", settings(stub))
    results = make_results(stub, prepared.files, tmp_path / "results.jsonl")
    with results.open("a", encoding="utf-8") as fh:
        fh.write('{"custom_id": "0000000000000000-0", "response": null, "error": null}\n')
        fh.write("not json\n")
    code, stdout, stderr = run(capsys, "batch", "ingest", str(results))
    assert code == 1
    (record,) = [Record.from_json(line) for line in stdout.splitlines()]
    assert record.error is None  # the known document is still written
    assert "0000000000000000-0: not in the manifest" in stderr
    assert f"{results}:3: not a Batch API result line" in stderr


# --- submit, status, collect ------------------------------------------------------------------


def test_submit_status_collect_ingest_through_the_cli(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = online(stub, [SEED_000, SEED_003])
    stub.requests.clear()
    work = tmp_path / "work"
    requests = work / "requests.jsonl"
    common = ["--model", MODEL, "--base-url", stub.base_url]
    args = ["batch", "prepare", str(SEED_000), str(SEED_003), "-o", str(requests), *common]
    assert run(capsys, *args)[0] == 0
    ids = [line["custom_id"] for line in lines_of(requests)]

    code, stdout, stderr = run(
        capsys, "batch", "submit", str(requests), "--base-url", stub.base_url
    )
    assert code == 0
    ((batch_id, request_file, count),) = [line.split("\t") for line in stdout.splitlines()]
    assert (request_file, count) == ("requests.jsonl", "2 requests")
    state_file = work / "requests.batches.json"
    assert f"state saved in {state_file}" in stderr
    state = BatchState.load(state_file)
    assert [b.batch_id for b in state.batches] == [batch_id]
    assert state.base_url == stub.base_url and state.manifest == "requests.manifest.jsonl"
    uploaded = stub.files[state.batches[0].input_file_id]
    assert uploaded["purpose"] == "batch" and uploaded["content"] == requests.read_bytes()
    assert stub.batches[batch_id]["status"] == "validating"
    assert stub.chat_requests() == []  # nothing went to the online endpoint

    # submitting the same file again makes no second batch
    code, stdout, stderr = run(
        capsys, "batch", "submit", str(requests), "--base-url", stub.base_url
    )
    assert code == 0 and stdout == "" and f"already submitted as {batch_id}" in stderr
    assert list(stub.batches) == [batch_id]

    # status and collect find the state and the server by themselves
    code, stdout, _ = run(capsys, "batch", "status", str(state_file))
    assert code == 0
    assert stdout.split("\t")[:3] == [batch_id, "completed", "2/2 done, 0 failed"]
    results_dir = tmp_path / "results"
    code, stdout, _ = run(capsys, "batch", "collect", str(state_file), "-o", str(results_dir))
    assert code == 0
    assert stdout.splitlines() == [str(results_dir / f"{batch_id}.output.jsonl")]
    assert (results_dir / "requests.manifest.jsonl").read_bytes() == (
        work / "requests.manifest.jsonl"
    ).read_bytes()
    rows = lines_of(results_dir / f"{batch_id}.output.jsonl")
    assert sorted(r["custom_id"] for r in rows) == sorted(ids)
    assert {r["response"]["status_code"] for r in rows} == {200}

    out = tmp_path / "out.jsonl"
    files = sorted(str(p) for p in results_dir.glob("*.jsonl"))  # the manifest included
    code, _, _ = run(capsys, "batch", "ingest", *files, "-o", str(out), "--no-cache")
    assert code == 0
    assert [comparable(r) for r in records_of(out)] == [comparable(r) for r in expected]


def test_a_failed_line_reaches_the_error_file_and_an_error_record(
    stub: StubServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)  # the server from the environment
    args = ["batch", "prepare", str(SEED_000), str(SEED_003), "-o", "r.jsonl", "--model", MODEL]
    assert run(capsys, *args)[0] == 0
    stub.fail_batch_request(f"{sha(SEED_000)[:16]}-0", Fault.status(500))
    assert run(capsys, "batch", "submit", "r.jsonl")[0] == 0
    code, stdout, _ = run(capsys, "batch", "status")  # the one state file here
    assert code == 0 and "\tcompleted\t1/2 done, 1 failed\t" in stdout
    code, stdout, _ = run(capsys, "batch", "collect", "-o", "res")
    assert code == 0
    assert sorted(Path(p).name.split(".", 1)[1] for p in stdout.splitlines()) == [
        "errors.jsonl",
        "output.jsonl",
    ]
    code, stdout, stderr = run(capsys, "batch", "ingest", *stdout.split())
    assert code == 1
    records = {Path(r.source).name: r for r in map(Record.from_json, stdout.splitlines())}
    failed = records[SEED_000.name]
    assert failed.error is not None and failed.error.type == "TransportError"
    assert records[SEED_003.name].error is None
    assert f"{SEED_000}: the batch request" in stderr


def test_a_batch_the_server_rejects_is_reported(
    stub: StubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"custom_id": "x", "method": "GET", "url": "/v1/models"}\n', encoding="utf-8")
    assert run(capsys, "batch", "submit", str(bad), "--base-url", stub.base_url)[0] == 0
    state = tmp_path / "bad.batches.json"
    code, stdout, stderr = run(capsys, "batch", "status", str(state))
    assert code == 1 and "\tfailed\t" in stdout
    assert "line 1: Not a valid request line" in stderr
    code, stdout, stderr = run(capsys, "batch", "collect", str(state), "-o", str(tmp_path / "r"))
    assert code == 1 and stdout == "" and "failed: line 1" in stderr
    # a failed batch does not block submitting the same file again
    assert run(capsys, "batch", "submit", str(bad), "--base-url", stub.base_url)[0] == 0
    assert len(BatchState.load(state).batches) == 2


def test_an_unfinished_batch_is_left_for_later(stub: StubServer, tmp_path: Path) -> None:
    prepared = prepare([SEED_003], tmp_path / "r.jsonl", settings(stub))
    with openai.OpenAI(api_key="k", base_url=stub.base_url, max_retries=0) as client:
        result = submit(client, prepared.files, base_url=stub.base_url)
        state_file = result.state
        state = BatchState.load(state_file)
        # as if the server were still working on it
        state.batches[0].status = "in_progress"
        stub.batches[state.batches[0].batch_id]["status"] = "in_progress"
        collected = collect(client, state, state_file, tmp_path / "out")
    assert collected.files == [] and [e.status for e in collected.pending] == ["in_progress"]


def test_server_errors_become_our_errors(tmp_path: Path) -> None:
    requests = tmp_path / "r.jsonl"
    requests.write_text('{"custom_id": "a-0"}\n', encoding="utf-8")

    def client(status: int) -> openai.OpenAI:
        def handler(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(status, json={"error": {"message": f"no ({status})"}})

        http = httpx2.Client(transport=httpx2.MockTransport(handler))
        return openai.OpenAI(
            api_key="k", base_url="http://server.invalid/v1", http_client=http, max_retries=0
        )

    with client(401) as refusing, pytest.raises(BackendError) as refused:
        submit(refusing, [requests])
    assert not isinstance(refused.value, TransportError)
    assert "uploading the requests failed: HTTP 401: no (401)" in str(refused.value)
    assert "check OPENAI_API_KEY" in str(refused.value)
    with client(503) as failing, pytest.raises(TransportError, match=r"HTTP 503: no \(503\)"):
        submit(failing, [requests])
    assert not (tmp_path / "r.batches.json").exists()  # no batch was made: nothing to save


# --- configuration and help ---------------------------------------------------------------------


def test_no_key_and_no_server_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "r.jsonl"
    requests.write_text('{"custom_id": "a-0"}\n', encoding="utf-8")
    BatchState().save(tmp_path / "r.batches.json")  # batches on OpenAI's own server
    for args in (
        ["batch", "submit", str(requests)],
        ["batch", "status", str(tmp_path / "r.batches.json")],
        ["batch", "collect", str(tmp_path / "r.batches.json"), "-o", str(tmp_path / "out")],
    ):
        code, stdout, stderr = run(capsys, *args)
        assert code == 2 and stdout == ""
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, args
        assert "OPENAI_API_KEY" in lines[0] and "--base-url" in lines[0]
        assert f"{args[0]} {args[1]} needs a server" in lines[0]


def test_a_missing_state_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run(capsys, "batch", "status")
    assert code == 2 and "found none" in stderr
    code, _, stderr = run(capsys, "batch", "status", "nope.batches.json")
    assert code == 2 and "no such state file" in stderr


def test_every_batch_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ["prepare", "submit", "status", "collect", "ingest"]:
        code, stdout, _ = run(capsys, "batch", command, "--help")
        assert code == 0
        assert stdout.startswith(f"Usage: cqc-extract batch {command} ") and len(stdout) > 300
    code, stdout, _ = run(capsys, "batch", "--help")
    assert code == 0
    for command in ["prepare", "submit", "status", "collect", "ingest"]:
        assert f"  {command} " in stdout
