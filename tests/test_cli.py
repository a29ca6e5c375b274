"""The command line as a user meets it: exit codes, one-line errors, records on stdout or -o."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import cli, main
from extractor.records import Gold, Record

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def run(*args: str) -> tuple[int, str, str]:
    """Invoke the CLI in-process (exceptions not swallowed); return (code, stdout, stderr)."""
    runner = CliRunner()
    result = runner.invoke(cli, list(args), catch_exceptions=False, prog_name="cqc-extract")
    return result.exit_code, result.stdout, result.stderr


def records_of(text: str) -> list[Record]:
    return [Record.from_json(line) for line in text.splitlines() if line.strip()]


def test_extract_seeds_match_gold_and_pass_the_checker(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, stdout, stderr = run("extract", str(SEEDS), "-o", str(out))
    assert code == 0
    assert stdout == ""  # results go to -o only
    assert "2 documents" in stderr and "5 events" in stderr
    records = records_of(out.read_text())
    assert len(records) == 2
    for rec in records:
        gold = Gold.model_validate_json(
            (SEEDS / (Path(rec.source).stem + ".gold.json")).read_text()
        )
        assert [e.values() for e in rec.events] == [
            {
                k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in g.model_dump().items()
            }
            for g in gold.events
        ]
        assert rec.issues == []
        assert rec.backend == "rules" and rec.model is None and rec.prompt is None
        text = (SEEDS / Path(rec.source).name).read_text(encoding="utf-8")
        for event in rec.events:
            for ev in event.evidence.values():
                assert text[ev.start : ev.end] == ev.quote


def test_extract_to_stdout_one_line_per_document() -> None:
    code, stdout, _ = run("extract", str(SEEDS / "003_7166d48ac7fe3a64.txt"))
    assert code == 0
    (rec,) = records_of(stdout)
    assert [e.date.isoformat() for e in rec.events if e.date] == ["2019-11-20", "2018-06-28"]
    assert rec.events[0].overall_rating is None  # the trap: the new rating is not in the text


def test_mixed_directory_bad_files_get_errors_and_others_go_on(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "a_good.txt").write_text(
        (SEEDS / "000_5a6e1a8d91a200b5.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (d / "b_empty.txt").write_bytes(b"")
    (d / "c_binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (d / "d_pdf.txt").write_bytes(b"%PDF-1.7\n...")
    (d / "e_cp1252.txt").write_bytes(
        "14 May 2013\n\nDuring a routine inspection\n\nPeople’s care was good.".encode("cp1252")
    )
    (d / "f_noevents.txt").write_text(
        "Opening hours: Monday to Friday. Parking available.", encoding="utf-8"
    )
    (d / "g.html").write_text(
        "<html><body><h2>Inspection carried out on 18 November 2019</h2><p>During a routine inspection</p>"
        "<p>The overall rating for the service has changed from requires improvement to good.</p></body></html>",
        encoding="utf-8",
    )
    (d / "notes.md").write_text("ignored: not a supported suffix", encoding="utf-8")
    code, stdout, stderr = run("extract", str(d), "--max-bytes", "100000")
    assert code == 1  # at least one document has an error
    recs = {Path(r.source).name: r for r in records_of(stdout)}
    assert sorted(recs) == [
        "a_good.txt",
        "b_empty.txt",
        "c_binary.txt",
        "d_pdf.txt",
        "e_cp1252.txt",
        "f_noevents.txt",
        "g.html",
    ]
    assert recs["a_good.txt"].error is None and len(recs["a_good.txt"].events) == 3
    assert (
        recs["b_empty.txt"].error is not None and recs["b_empty.txt"].error.type == "EmptyDocument"
    )
    assert recs["b_empty.txt"].sha256 is not None
    assert (
        recs["c_binary.txt"].error is not None
        and recs["c_binary.txt"].error.type == "BinaryDocument"
    )
    assert recs["d_pdf.txt"].error is not None and "PDF" in recs["d_pdf.txt"].error.message
    assert recs["e_cp1252.txt"].error is None and recs["e_cp1252.txt"].events[0].date is not None
    assert recs["f_noevents.txt"].error is None and recs["f_noevents.txt"].events == []
    assert recs["g.html"].events[0].overall_rating == "Good"
    # each failure is one line naming the file and the reason
    error_lines = [line for line in stderr.splitlines() if "b_empty.txt" in line]
    assert len(error_lines) == 1 and "empty" in error_lines[0]


def test_oversized_file_is_an_error_record(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000, encoding="utf-8")
    code, stdout, _ = run("extract", str(big), "--max-bytes", "1000")
    assert code == 1
    (rec,) = records_of(stdout)
    assert rec.error is not None and rec.error.type == "DocumentTooLarge"


def test_missing_path_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "extractor", "extract", str(tmp_path / "nope.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.txt" in lines[0] and "no such file" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["extract", str(SEEDS), "--backend", "nonesuch"])
    assert exc.value.code == 2
    assert "unknown backend 'nonesuch'" in capsys.readouterr().err


def test_resume_skips_finished_documents_and_repairs_a_torn_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert run("extract", str(SEEDS / "000_5a6e1a8d91a200b5.txt"), "-o", str(out))[0] == 0
    with out.open("a", encoding="utf-8") as fh:
        fh.write('{"source": "torn')  # a run killed while writing
    code, _, stderr = run("extract", str(SEEDS), "-o", str(out), "--resume")
    assert code == 0
    assert "1 skipped" in stderr
    recs = records_of(out.read_text())
    assert sorted(Path(r.source).name for r in recs) == [
        "000_5a6e1a8d91a200b5.txt",
        "003_7166d48ac7fe3a64.txt",
    ]


def test_resume_needs_an_output() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["extract", str(SEEDS), "--resume"])
    assert exc.value.code == 2


def _extract_seed(tmp_path: Path) -> Path:
    out = tmp_path / "r.jsonl"
    run("extract", str(SEEDS / "000_5a6e1a8d91a200b5.txt"), "-o", str(out))
    return out


def test_check_passes_a_correct_record_and_catches_a_hand_edit(tmp_path: Path) -> None:
    out = _extract_seed(tmp_path)
    code, stdout, _ = run("check", str(out))
    assert code == 0 and stdout == ""
    data = json.loads(out.read_text())
    data["events"][1]["overall_rating"] = "Outstanding"  # edited by hand, quote unchanged
    data["events"][1]["people_using_service"] = 40
    out.write_text(json.dumps(data) + "\n")
    code, stdout, _ = run("check", str(out))
    assert code == 1
    assert "event 1 overall_rating: error value_mismatch" in stdout
    assert "event 1 people_using_service: error value_mismatch" in stdout
    code, stdout, _ = run("check", str(out), "--json")
    assert code == 1
    (rec,) = records_of(stdout)
    errors = {(i.code, i.event, i.field) for i in rec.issues if i.severity == "error"}
    assert errors == {
        ("value_mismatch", 1, "overall_rating"),
        ("value_mismatch", 1, "people_using_service"),
    }


def test_check_reports_invalid_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"source": "x.txt"}\nnot json\n')
    code, stdout, _ = run("check", str(bad))
    assert code == 1
    assert stdout.count("record_invalid") == 2
    assert f"{bad}:2" in stdout


def test_eval_and_compare(tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    run("extract", str(SEEDS), "-o", str(out))
    code, stdout, _ = run("eval", str(out), "--gold", str(SEEDS), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["micro"]["f1"] == 1.0
    assert report["fields"]["people_using_service"]["tp"] == 4
    # a second run with one value changed
    lines = out.read_text().splitlines()
    first = json.loads(lines[0])
    first["events"][1]["people_using_service"] = 38
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    code, stdout, _ = run("compare", str(other), str(out), "--gold", str(SEEDS), "--json")
    assert code == 0
    cmp = json.loads(stdout)
    assert cmp["fields"]["people_using_service"]["differ"] == 1
    assert cmp["fields"]["people_using_service"]["b_right"] == 1
    code, stdout, _ = run("compare", str(other), str(out))
    assert code == 0 and "people_using_service" in stdout


def test_text_prints_exactly_what_offsets_refer_to(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>t</title><script>var x=1;</script></head><body><nav>Menu</nav>"
        "<h1>Inspection carried out on 5 March 2019</h1><p>During a routine inspection</p>"
        "<p>At the time of our inspection 12 people were using the service.</p></body></html>",
        encoding="utf-8",
    )
    code, stdout, _ = run("text", str(page))
    assert code == 0
    assert "var x" not in stdout and "Menu" not in stdout
    code, out_json, _ = run("extract", str(page))
    (rec,) = records_of(out_json)
    for ev in rec.events[0].evidence.values():
        assert stdout[ev.start : ev.end] == ev.quote
    assert rec.events[0].people_using_service == 12


def test_every_command_has_help() -> None:
    for command in ["extract", "check", "eval", "compare", "text", "backends"]:
        code, stdout, _ = run(command, "--help")
        assert code == 0
        assert stdout.startswith("Usage: cqc-extract ") and len(stdout) > 100, command
    code, stdout, _ = run("--help")
    assert code == 0 and "extract" in stdout and "check" in stdout


def test_python_dash_m_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "extractor", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0 and "cqc-extract" in proc.stdout


def test_check_exits_1_and_counts_the_records_with_errors_as_a_process(tmp_path: Path) -> None:
    """``check`` run as a user runs it: exit 1 when any record has an error-severity issue
    (a rating quoted from another event's part of the page, say), and a summary line that
    counts the records with errors."""
    seed = SEEDS / "000_5a6e1a8d91a200b5.txt"
    out = tmp_path / "r.jsonl"

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "extractor", "check", str(out)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    run("extract", str(SEEDS), "-o", str(out))
    done = check()
    assert done.returncode == 0, done.stderr
    assert "checked 2 records: 0 with errors" in done.stderr
    lines = out.read_text().splitlines()
    k = next(k for k, line in enumerate(lines) if seed.name in line)
    data = json.loads(lines[k])
    # event 0 (a later inspection) given event 1's rating sentence, quoted verbatim
    data["events"][0]["overall_rating"] = data["events"][1]["overall_rating"]
    data["events"][0]["evidence"]["overall_rating"] = data["events"][1]["evidence"][
        "overall_rating"
    ]
    lines[k] = json.dumps(data)
    out.write_text("\n".join(lines) + "\n")
    done = check()
    assert done.returncode == 1
    assert "event 0 overall_rating: error rating_other_event" in done.stdout
    assert "checked 2 records: 1 with errors" in done.stderr


def test_model_runs_default_to_several_documents_at_once(tmp_path: Path) -> None:
    from stub_server import rules_answer, running_stub

    from extractor.llm.prompting import document_in_messages

    def responder(request: dict[str, object]) -> dict[str, object]:
        text = document_in_messages(request["messages"])  # type: ignore[arg-type]
        assert text is not None
        return rules_answer(text)

    with running_stub(responder=responder) as stub:
        model = ["--backend", "openai", "--model", "m", "--base-url", stub.base_url, "--no-cache"]
        assert run("extract", str(SEEDS), "-o", str(tmp_path / "m.jsonl"), *model)[0] == 0
    assert run("extract", str(SEEDS), "-o", str(tmp_path / "r.jsonl"))[0] == 0
    logs = [tmp_path / "m.runs.jsonl", tmp_path / "r.runs.jsonl"]
    concurrency = [json.loads(p.read_text())["arguments"]["concurrency"] for p in logs]
    assert concurrency == [8, 1]
