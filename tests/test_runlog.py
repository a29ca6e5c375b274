"""The run log beside the output: one line per run, counts and usage, no secrets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from extractor.cli import cli
from extractor.pipeline import RunSummary
from extractor.records import Usage
from extractor.runlog import append_run_log, clean_arguments, run_log_path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_each_run_appends_one_line(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(
            cli, ["extract", str(SEEDS), "-o", str(out), "--resume"], catch_exceptions=False
        )
        assert result.exit_code == 0
    lines = [json.loads(x) for x in run_log_path(out).read_text().splitlines()]
    assert run_log_path(out) == tmp_path / "results.runs.jsonl"
    assert [(x["documents"], x["skipped"], x["events"], x["exit"]) for x in lines] == [
        (2, 0, 5, 0),
        (0, 2, 0, 0),
    ]
    assert lines[0]["arguments"]["backend"] == "rules"
    assert lines[0]["usage"] == {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0}


def test_arguments_lose_secrets() -> None:
    args = clean_arguments(
        {
            "base_url": "https://user:hunter2@example.invalid:8443/v1?api-key=abc",
            "api_key": "sk-123",
            "model": "m",
        }
    )
    assert args == {"base_url": "https://example.invalid:8443/v1", "model": "m"}


def test_usage_and_interruption_are_recorded(tmp_path: Path) -> None:
    summary = RunSummary(
        documents=3, errors=1, usage=Usage(requests=4, prompt_tokens=100, completion_tokens=20)
    )
    log = tmp_path / "x.runs.jsonl"
    entry = append_run_log(
        log,
        command="extract",
        arguments={},
        started=dt.datetime.now(dt.UTC),
        summary=summary,
        exit_status=130,
        interrupted=True,
        model="stub",
    )
    assert json.loads(log.read_text()) == entry
    assert (
        entry["usage"]["prompt_tokens"] == 100
        and entry["interrupted"] is True
        and entry["exit"] == 130
    )
