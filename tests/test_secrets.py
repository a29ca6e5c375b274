"""Issue 14, security: ids from the server never name a path outside the output folder, and
credentials given in a server URL, or echoed in a server's error text, are written nowhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from stub_server import Fault, StubServer, rules_answer, running_stub

from extractor.cli import main
from extractor.errors import BackendError
from extractor.llm.batch import BatchEntry, BatchState, collect, ingest, prepare, submit
from extractor.llm.prompting import document_in_messages
from extractor.llm.protocol import RequestSettings
from extractor.redact import redact_text, redact_url
from extractor.runlog import run_log_path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"
PASSWORD = "hunter2-pass"
QUERY_KEY = "qk-secret-9876"


def responder(request: dict[str, Any]) -> dict[str, Any]:
    text = document_in_messages(request["messages"])
    assert text is not None
    return rules_answer(text)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with running_stub(responder=responder) as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def with_credentials(url: str) -> str:
    """``url`` with a user name and password (httpx sends them as basic auth)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://user:{PASSWORD}@{rest}"


def everything_under(path: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in path.rglob("*") if p.is_file()
    )


# --- ids from the server --------------------------------------------------------------------------


def _client(batch_id: str) -> openai.OpenAI:
    """A server that accepts an upload and answers with ``batch_id`` for the batch."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/files"):
            return httpx2.Response(
                200,
                json={
                    "id": "file-1",
                    "object": "file",
                    "bytes": 1,
                    "created_at": 0,
                    "filename": "r.jsonl",
                    "purpose": "batch",
                    "status": "processed",
                },
            )
        return httpx2.Response(
            200,
            json={
                "id": batch_id,
                "object": "batch",
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
                "created_at": 0,
                "input_file_id": "file-1",
                "status": "completed",
                "output_file_id": "file-2",
            },
        )

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(
        api_key="k", base_url="http://server.invalid/v1", http_client=http, max_retries=0
    )


@pytest.mark.parametrize("batch_id", ["../../evil", "/tmp/evil", "a/b", "..", "x" * 300, ""])
def test_submit_refuses_a_batch_id_that_is_not_a_plain_identifier(
    tmp_path: Path, batch_id: str
) -> None:
    requests = tmp_path / "r.jsonl"
    requests.write_text('{"custom_id": "a-0"}\n', encoding="utf-8")
    with _client(batch_id) as client, pytest.raises(BackendError, match="not a plain identifier"):
        submit(client, [requests])
    state = tmp_path / "r.batches.json"
    assert not state.exists() or batch_id not in state.read_text(encoding="utf-8")


def test_collect_writes_nothing_outside_the_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state file naming a batch ``../../x`` (edited, or written by an older version)."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    state_file = work / "r.batches.json"
    BatchState(
        base_url="http://server.invalid/v1",
        batches=[
            BatchEntry(
                request_file="r.jsonl",
                request_sha256="0" * 64,
                requests=1,
                input_file_id="file-1",
                batch_id="../../../x",
                status="completed",
                output_file_id="file-2",
            )
        ],
    ).save(state_file)
    out = work / "results"
    with _client("batch_1") as client, pytest.raises(BackendError, match="not a plain"):
        collect(client, BatchState.load(state_file), state_file, out)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["r.batches.json"]
    monkeypatch.delenv("CQC_EXTRACT_RAISE")  # as users run it: one line, no traceback
    code, _, stderr = run(
        capsys, "batch", "collect", str(state_file), "-o", str(out), "--base-url", "http://x/v1"
    )
    assert code == 1 and "not a plain identifier" in stderr and len(stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["r.batches.json"]


# --- credentials in --base-url --------------------------------------------------------------------


def test_redact_url_drops_userinfo_and_secret_parameters() -> None:
    url = (
        f"https://user:{PASSWORD}@Example.invalid:8443/v1?api-key={QUERY_KEY}&api-version=2&sig=s#f"
    )
    assert redact_url(url) == "https://example.invalid:8443/v1?api-version=2"
    assert redact_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    for name in ["api_key", "apikey", "token", "access_token", "secret", "password", "X-Api-Key"]:
        assert redact_url(f"https://h/v1?{name}=v&model=m") == "https://h/v1?model=m"


def test_server_error_text_loses_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-0123456789")
    text = (
        "HTTP 401: key env-key-0123456789 refused at "
        f"https://u:{PASSWORD}@h/v1?api-key={QUERY_KEY}; Authorization: Bearer abcdefghijkl "
        "sk-proj-abcdefghijklmnop api_key=zzzzzz"
    )
    cleaned = redact_text(text)
    for secret in ["env-key-0123456789", PASSWORD, QUERY_KEY, "abcdefghijkl", "zzzzzz"]:
        assert secret not in cleaned
    assert cleaned.startswith("HTTP 401: key *** refused at https://h/v1")


def test_credentials_in_the_base_url_are_written_nowhere(
    stub: StubServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    secret_url = with_credentials(stub.base_url)
    work = tmp_path / "work"
    requests = work / "r.jsonl"
    args = ["batch", "prepare", str(SEED), "-o", str(requests), "--model", "m"]
    assert run(capsys, *args, "--base-url", f"{secret_url}?api-key={QUERY_KEY}")[0] == 0
    assert run(capsys, "batch", "submit", str(requests), "--base-url", secret_url)[0] == 0
    state_file = work / "r.batches.json"
    state = BatchState.load(state_file)
    assert state.base_url == stub.base_url and state.base_url_credentials
    # The credentials are not stored: status and collect need them again, and say so.
    code, _, stderr = run(capsys, "batch", "status", str(state_file))
    assert code == 2 and "--base-url" in stderr and PASSWORD not in stderr
    monkeypatch.setenv("OPENAI_BASE_URL", secret_url)  # found again from the environment
    assert run(capsys, "batch", "status", str(state_file))[0] == 0
    results = tmp_path / "results"
    code, stdout, stderr = run(capsys, "batch", "collect", str(state_file), "-o", str(results))
    assert code == 0, stderr
    files = stdout.split()
    out = tmp_path / "out.jsonl"
    assert run(capsys, "batch", "ingest", *files, "-o", str(out), "--no-cache")[0] == 0
    extract = tmp_path / "x.jsonl"
    code, _, _ = run(
        capsys,
        "extract",
        str(SEED),
        "-o",
        str(extract),
        "--backend",
        "openai",
        "--model",
        "m",
        "--base-url",
        secret_url,
        "--no-cache",
    )
    assert code == 0
    assert run_log_path(extract).exists()
    written = everything_under(tmp_path)
    assert PASSWORD not in written and QUERY_KEY not in written
    assert stub.base_url in (work / "r.manifest.jsonl").read_text(encoding="utf-8")


def test_a_key_echoed_by_the_server_reaches_neither_records_nor_stderr(
    stub: StubServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "sk-echoed-key-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    settings = RequestSettings.parse(model="m", base_url=stub.base_url)
    prepared = prepare([SEED], tmp_path / "r.jsonl", settings)
    (line,) = [json.loads(x) for x in prepared.files[0].read_text().splitlines()]
    body = {"error": {"message": f"Incorrect API key provided: {key}. api_key={key}"}}
    stub.fail_batch_request(line["custom_id"], Fault.status(401, body=body))
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(stub.batch_output_line(line)) + "\n", encoding="utf-8")
    records: list[Any] = []
    ingest([results], prepared.manifest, records.append)
    (record,) = records
    assert record.error is not None and "Incorrect API key provided" in record.error.message
    assert key not in record.to_json()
    code, stdout, stderr = run(capsys, "batch", "ingest", str(results), "--no-cache")
    assert code == 1 and "Incorrect API key" in stderr
    assert key not in stdout and key not in stderr
