"""Issue 14, nothing lost: every input a folder holds is processed or named. A file name that
is not UTF-8, a folder that cannot be read, a broken link, a link loop, a FIFO: each gets a
record (with an error where it cannot be read), and the other documents go on."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import cli
from extractor.loading import iter_input_paths, load_document
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"

needs_bytes_names = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="file names here must be valid Unicode"
)


def extract(*args: str) -> tuple[int, list[Record], str]:
    result = CliRunner().invoke(cli, ["extract", *args], catch_exceptions=False)
    return (
        result.exit_code,
        [Record.from_json(line) for line in result.stdout.splitlines()],
        result.stderr,
    )


@needs_bytes_names
def test_a_file_name_that_is_not_utf8_is_processed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    with open(bad, "wb") as fh:
        fh.write(SEED.read_bytes())
    (folder / "z.txt").write_bytes(SEED.read_bytes() + b"\nAnother copy.\n")
    out = tmp_path / "out.jsonl"
    code, _, stderr = extract(str(folder), "-o", str(out))
    assert code == 0, stderr
    got = [Record.from_json(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r.source for r in got] == [f"{folder}/caf\\xe9.txt", f"{folder}/z.txt"]
    assert all(r.error is None and len(r.events) == 3 for r in got)
    (log,) = [json.loads(x) for x in (tmp_path / "out.runs.jsonl").read_text().splitlines()]
    assert log["documents"] == 2 and log["exit"] == 0


def test_what_cannot_be_read_in_a_folder_gets_a_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "inside.txt").write_bytes(SEED.read_bytes())
    (folder / "good.txt").write_bytes(SEED.read_bytes())
    (folder / "broken.txt").symlink_to(folder / "missing.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.txt")
    # Root reads any folder whatever its mode: the refusal is simulated where the OS gives it.
    real_scandir = os.scandir
    locked = str(folder / "locked")

    def scandir(path: str | os.PathLike[str] = ".") -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, records, stderr = extract(str(folder))
    assert code == 1
    by_name = {Path(r.source).name: r for r in records}
    assert by_name["good.txt"].error is None and by_name["good.txt"].events
    reasons = {name: r.error.message for name, r in by_name.items() if r.error is not None}
    assert reasons["locked"] == "directory cannot be searched: permission denied"
    assert reasons["broken.txt"].startswith("broken symbolic link")
    assert reasons["loop.txt"] == "too many levels of symbolic links"
    if hasattr(os, "mkfifo"):
        assert reasons["pipe.txt"] == "not a regular file (a FIFO)"
    assert f"{len(reasons)} with errors" in stderr
    for name in reasons:
        assert f"{name}: " in stderr


def test_a_broken_link_given_by_name_is_a_record_not_a_crash(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    assert iter_input_paths([link]) == [link]
    code, (record,), _ = extract(str(link))
    assert code == 1 and record.error is not None
    assert record.error.message == f"broken symbolic link (to {tmp_path / 'nowhere.txt'})"


def test_utf16_without_bom_is_read_as_utf16(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(text.encode(codec))
        doc = load_document(path)
        assert (doc.text, doc.encoding) == (text, codec)
