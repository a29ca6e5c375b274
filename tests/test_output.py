"""Issue 14: ``-o OUT`` by the conventions of tools people know.

An existing OUT needs a word (--resume, --append, --overwrite), OUT may not be an input, a torn
last line is repaired before anything is added, ``-o -`` is stdout, an OUT that cannot be
written is one line and exit 2, and --resume redoes what another backend, model or prompt made.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from stub_server import rules_answer, running_stub

from extractor.cli import cli, main
from extractor.llm.prompting import document_in_messages
from extractor.output import repair_torn_tail
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = SEEDS / "000_5a6e1a8d91a200b5.txt"


def invoke(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def records(path: Path) -> list[Record]:
    return [Record.from_json(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_an_existing_output_needs_a_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke("extract", str(SEEDS), "-o", str(out))[0] == 0
    before = out.read_bytes()
    with pytest.raises(SystemExit) as exit_:
        main(["extract", str(SEEDS), "-o", str(out)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "already exists" in err and "--resume" in err and "--append" in err
    assert "--overwrite" in err
    assert out.read_bytes() == before  # untouched
    # --overwrite replaces, --append adds, --resume skips what is done
    assert invoke("extract", str(SEEDS), "-o", str(out), "--overwrite")[0] == 0
    assert len(records(out)) == 2
    assert invoke("extract", str(SEEDS), "-o", str(out), "--append")[0] == 0
    assert len(records(out)) == 4
    code, _, stderr = invoke("extract", str(SEEDS), "-o", str(out), "--resume")
    assert code == 0 and "2 skipped" in stderr and len(records(out)) == 4
    # an empty file and /dev/null need no word
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    assert invoke("extract", str(SEED), "-o", str(empty))[0] == 0
    assert invoke("extract", str(SEED), "-o", os.devnull)[0] == 0
    assert not Path(os.devnull + ".runs.jsonl").exists()


def test_the_words_are_one_at_a_time_and_need_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ["-o", str(tmp_path / "o.jsonl"), "--append", "--overwrite"],
        ["--resume"],
        ["-o", "-", "--append"],
    ):
        with pytest.raises(SystemExit) as exit_:
            main(["extract", str(SEED), *args])
        assert exit_.value.code == 2
        assert len(capsys.readouterr().err.splitlines()) == 1


def test_output_may_not_be_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes(SEED.read_bytes())
    for word in ([], ["--append"], ["--overwrite"], ["--resume"]):
        with pytest.raises(SystemExit) as exit_:
            main(["extract", str(tmp_path), "-o", str(page), *word])
        assert exit_.value.code == 2
        assert "is one of the inputs" in capsys.readouterr().err
    assert page.read_bytes() == SEED.read_bytes()


def test_a_torn_last_line_is_repaired_before_appending(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke("extract", str(SEED), "-o", str(out))[0] == 0
    whole = out.read_text(encoding="utf-8")
    with out.open("a", encoding="utf-8") as fh:
        fh.write(whole[: len(whole) // 2])  # killed while writing
    assert invoke("extract", str(SEEDS), "-o", str(out), "--append")[0] == 0
    got = records(out)  # every line parses
    assert [Path(r.source).name for r in got] == [
        SEED.name,
        SEED.name,
        "003_7166d48ac7fe3a64.txt",
    ]


def test_a_whole_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke("extract", str(SEED), "-o", str(out))[0] == 0
    out.write_bytes(out.read_bytes().rstrip(b"\n"))
    assert repair_torn_tail(out)
    assert len(records(out)) == 1 and out.read_bytes().endswith(b"\n")
    assert not repair_torn_tail(out)


def test_dash_is_stdout_and_stdin(tmp_path: Path) -> None:
    code, stdout, _ = invoke("extract", str(SEED), "-o", "-")
    assert code == 0
    (record,) = [Record.from_json(line) for line in stdout.splitlines()]
    assert record.source == str(SEED) and len(record.events) == 3
    code, stdout, _ = invoke("extract", "-", stdin=SEED.read_bytes())
    assert code == 0
    (from_stdin,) = [Record.from_json(line) for line in stdout.splitlines()]
    assert from_stdin.source == "<stdin>"
    assert from_stdin.events == record.events and from_stdin.sha256 == record.sha256
    code, stdout, _ = invoke("text", "-", stdin=b"<html><body><p>Hello</p></body></html>")
    assert (code, stdout) == (0, "Hello")
    assert not (Path.cwd() / "-").exists()


@pytest.mark.parametrize(
    "where",
    ["file/out.jsonl", "/proc/cqc-extract-test/out.jsonl", "/dev/full"],
    ids=["under-a-file", "proc", "disk-full"],
)
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "/dev/full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    monkeypatch.delenv("CQC_EXTRACT_RAISE")  # as users run it
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["extract", str(SEEDS), "-o", where])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"cqc-extract: error: cannot write {where}: "), err
    assert "internal error" not in err and "Traceback" not in err


# --- --resume and the backend that made a record ------------------------------------------------


def _responder(request: dict[str, object]) -> dict[str, object]:
    text = document_in_messages(request["messages"])  # type: ignore[arg-type]
    assert text is not None
    return rules_answer(text)


def test_resume_redoes_what_another_backend_or_model_made(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert invoke("extract", str(SEEDS), "-o", str(out))[0] == 0  # rules
    with running_stub(responder=_responder) as stub:
        model = ["--backend", "openai", "--base-url", stub.base_url, "--no-cache"]
        code, _, stderr = invoke(
            "extract", str(SEEDS), "-o", str(out), "--resume", *model, "--model", "stub"
        )
        assert code == 0, stderr
        assert "skipped" not in stderr and len(stub.chat_requests()) == 2
        # the same model again: nothing to do
        code, _, stderr = invoke(
            "extract", str(SEEDS), "-o", str(out), "--resume", *model, "--model", "stub"
        )
        assert "2 skipped" in stderr and len(stub.chat_requests()) == 2
        # another model: done again
        code, _, stderr = invoke(
            "extract", str(SEEDS), "-o", str(out), "--resume", *model, "--model", "other"
        )
        assert "skipped" not in stderr and len(stub.chat_requests()) == 4
    # and back to the rules: their records are still there, so nothing is redone
    code, _, stderr = invoke("extract", str(SEEDS), "-o", str(out), "--resume")
    assert "2 skipped" in stderr
    assert [r.backend for r in records(out)] == ["rules"] * 2 + ["openai"] * 4
    # a record of another prompt is redone
    lines = out.read_text(encoding="utf-8").splitlines()
    edited = [json.loads(line) for line in lines[:2]]
    for record in edited:
        record["backend"] = "rules"
        record["prompt"] = "extract@00000000"
    out.write_text("".join(json.dumps(r) + "\n" for r in edited), encoding="utf-8")
    code, _, stderr = invoke("extract", str(SEEDS), "-o", str(out), "--resume")
    assert "skipped" not in stderr and len(records(out)) == 4


def test_counts_in_messages_agree_with_their_number(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(
        "Inspection carried out on 3 March 2019\n\nNothing else here.\n", encoding="utf-8"
    )
    code, _, stderr = invoke("extract", str(page), "-o", str(tmp_path / "o.jsonl"))
    assert code == 0 and stderr.startswith("cqc-extract: 1 document; 1 event; ")
    code, _, stderr = invoke("check", str(tmp_path / "o.jsonl"))
    assert "checked 1 record: 0 with errors (0 errors, 0 warnings in all)" in stderr
