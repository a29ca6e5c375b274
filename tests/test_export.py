"""`cqc-extract export`: one row per event, as CSV or JSONL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import records_of

from extractor.cli import cli, main
from extractor.export import columns, event_rows, write_csv
from extractor.records import Issue, Record

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

FIELDS = [
    "date",
    "overall_rating",
    "previous_rating",
    "previous_rating_published",
    "people_using_service",
    "announced",
]


def export(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["export", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_csv_has_one_row_per_event_with_every_column(seed_results: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    code, stdout, stderr = export(str(seed_results), "--csv", "-o", str(out))
    assert code == 0 and stdout == ""
    assert stderr == f"cqc-extract: wrote 5 rows from 2 records to {out}\n"
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == [
        "source", "event", "kind", *FIELDS, "current_rating", "errors", "warnings"
    ]  # fmt: skip
    records = records_of(seed_results)
    assert len(rows) == sum(len(r.events) for r in records) == 5
    assert [(Path(r["source"]).name, r["event"]) for r in rows] == [
        ("000_5a6e1a8d91a200b5.txt", "0"),
        ("000_5a6e1a8d91a200b5.txt", "1"),
        ("000_5a6e1a8d91a200b5.txt", "2"),
        ("003_7166d48ac7fe3a64.txt", "0"),
        ("003_7166d48ac7fe3a64.txt", "1"),
    ]
    assert rows[1] == {
        "source": records[0].source,
        "event": "1",
        "kind": "inspection",
        "date": "2019-11-18",
        "overall_rating": "Good",
        "previous_rating": "Requires improvement",
        "previous_rating_published": "2018-11-27",
        "people_using_service": "39",
        "announced": "",
        "current_rating": "",
        "errors": "0",
        "warnings": "0",
    }
    assert rows[2]["announced"] == "true"


def test_quotes_add_a_column_per_value(seed_results: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    assert export(str(seed_results), "--csv", "--quotes", "-o", str(out))[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0])[-7:] == [f"{f}_quote" for f in [*FIELDS, "current_rating"]]
    records = records_of(seed_results)
    for row in rows:
        event = records[0 if "000_" in row["source"] else 1].events[int(row["event"])]
        for name in FIELDS:
            quote = {k: v.quote for k, v in event.evidence.items()}.get(name, "")
            assert row[f"{name}_quote"] == quote
    assert rows[1]["overall_rating_quote"] == (
        "The overall rating for the service has changed from requires improvement to good."
    )


def test_jsonl_keeps_json_types_one_event_per_line(seed_results: Path) -> None:
    code, stdout, stderr = export(str(seed_results), "--jsonl")
    assert code == 0
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert len(lines) == 5
    assert list(lines[0]) == columns()
    assert lines[2]["announced"] is True and lines[1]["announced"] is None
    assert lines[1]["people_using_service"] == 39
    assert stderr == "cqc-extract: wrote 5 rows from 2 records\n"


def test_csv_to_stdout(seed_results: Path) -> None:
    code, stdout, _ = export(str(seed_results), "--csv", "-o", "-")
    assert code == 0
    assert stdout.splitlines()[0].startswith("source,event,kind,date,")
    assert len(list(csv.DictReader(io.StringIO(stdout)))) == 5


def test_issues_are_counted_on_their_event_and_page_issues_on_every_row() -> None:
    record = Record.model_validate(
        {
            "source": "x.txt",
            "backend": "rules",
            "events": [{"kind": "inspection"}, {"kind": "review"}],
            "issues": [
                {"code": "a", "severity": "error", "event": 0, "field": "date", "message": ""},
                {"code": "b", "severity": "warning", "event": 1, "field": None, "message": ""},
                {"code": "c", "severity": "warning", "event": 1, "field": "date", "message": ""},
                {"code": "d", "severity": "error", "event": None, "field": None, "message": ""},
            ],
        }
    )
    rows = list(event_rows(record))
    assert [(r["errors"], r["warnings"]) for r in rows] == [(2, 0), (1, 2)]


def test_a_record_without_events_has_no_row() -> None:
    records = [
        Record(
            source="empty.txt", backend="rules", error={"type": "EmptyDocument", "message": "x"}
        ),
        Record(
            source="one.txt",
            backend="rules",
            events=[{"kind": "review"}],
            issues=[Issue(code="c", severity="warning", message="")],
        ),
    ]
    out = io.StringIO()
    summary = write_csv(records, out)
    assert summary.line() == "1 row from 2 records (1 record without events has no row)"
    assert [row["source"] for row in csv.DictReader(io.StringIO(out.getvalue()))] == ["one.txt"]


def test_a_format_is_required(seed_results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["export", str(seed_results)])
    assert stop.value.code == 2
    assert capsys.readouterr().err == "cqc-extract: error: say which format: --csv or --jsonl\n"
