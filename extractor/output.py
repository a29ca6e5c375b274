"""Where records go: ``-o OUT.jsonl`` (or ``-o -``, standard output), by the conventions of
tools people know.

- An OUT that already holds something needs a word: ``resume`` (continue it: documents
  already done are skipped, see :func:`extractor.pipeline.read_done`), ``append`` (add to it)
  or ``overwrite`` (replace it). Without one, :func:`check_output` refuses with a usage error
  that names the three. A file that exists but is empty, and anything that is not a regular
  file (``/dev/null``, a FIFO), is written as it is.
- OUT may not be one of the inputs.
- Before anything is added to an existing OUT, a torn last line (a run killed while writing
  it) is repaired: completed with a newline when it is a whole JSON record, else cut off
  (:func:`repair_torn_tail`).
- An OUT that cannot be written (a read-only place, a full disk, ``/proc``) is an
  :class:`~extractor.errors.OutputError` naming the file and the reason: one line, exit 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Literal

from extractor.errors import OutputError, UsageError
from extractor.records import Record

#: What to do with an OUT that already has records.
Existing = Literal["refuse", "resume", "append", "overwrite"]
#: ``-o -``: standard output.
STDOUT = "-"


def is_stdout(output: str | os.PathLike[str] | None) -> bool:
    """True for no ``-o`` or ``-o -``."""
    return output is None or os.fspath(output) == STDOUT


def _os_reason(err: OSError) -> str:
    if isinstance(err, NotADirectoryError | FileExistsError):
        return "not a directory (a parent in the path is a file)"
    return err.strerror.lower() if err.strerror else str(err) or type(err).__name__


def _has_content(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size > 0


def check_output(
    output: Path, existing: Existing, inputs: Sequence[str | os.PathLike[str]] = ()
) -> None:
    """Refuse (:class:`UsageError`) an OUT that is one of ``inputs``, or that already holds
    records when ``existing`` is ``"refuse"``."""
    with contextlib.suppress(OSError):
        target = output.resolve()
        for path in inputs:
            if os.fspath(path) != STDOUT and Path(path).resolve() == target:
                raise UsageError(
                    f"{output} is one of the inputs: write the records to another file"
                )
    if existing == "refuse" and _has_content(output):
        raise UsageError(
            f"{output} already exists: pass --resume to continue it, --append to add to it, "
            "or --overwrite to replace it"
        )


def repair_torn_tail(out: Path) -> bool:
    """Repair a last line that has no newline (a run killed while writing it): a line that is
    a whole JSON value gets its newline, anything else is cut off. True when something
    changed."""
    size = out.stat().st_size
    if size == 0:
        return False
    with out.open("rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return False
        pos, chunk, cut = size, 65536, 0
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            nl = fh.read(pos - start).rfind(b"\n")
            if nl >= 0:
                cut = start + nl + 1
                break
            pos = start
        fh.seek(cut)
        tail = fh.read()
        try:
            json.loads(tail)
        except ValueError:
            fh.truncate(cut)
        else:
            fh.seek(0, os.SEEK_END)
            fh.write(b"\n")
        return True


class RecordWriter:
    """Writes records, one JSON line each, flushed as each is written; a failed write is an
    :class:`OutputError` naming the file and the reason."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, record: Record) -> None:
        self.write_line(record.to_json())

    def write_line(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except OSError as err:
            raise OutputError(f"cannot write {self.name}: {_os_reason(err)}") from err


@contextlib.contextmanager
def open_records(output: Path | None, existing: Existing = "refuse") -> Iterator[RecordWriter]:
    """A :class:`RecordWriter` for ``output`` (None or ``-``: standard output). An existing
    file is truncated for ``overwrite``, else appended to after :func:`repair_torn_tail`."""
    if output is None or is_stdout(output):
        yield RecordWriter(sys.stdout, "standard output")
        return
    name = os.fspath(output)
    try:
        if existing != "overwrite" and _has_content(output):
            repair_torn_tail(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        fh = output.open("w" if existing == "overwrite" else "a", encoding="utf-8")
    except OSError as err:
        raise OutputError(f"cannot write {name}: {_os_reason(err)}") from err
    try:
        yield RecordWriter(fh, name)
    finally:
        try:
            fh.close()
        except OSError as err:  # the last bytes could not be flushed
            raise OutputError(f"cannot write {name}: {_os_reason(err)}") from err


def can_log_beside(output: Path | None) -> bool:
    """A run log is kept beside a regular output file only (not beside ``/dev/null``)."""
    if output is None or is_stdout(output):
        return False
    try:
        return stat.S_ISREG(output.stat().st_mode)
    except OSError:
        return False


__all__ = [
    "STDOUT",
    "Existing",
    "RecordWriter",
    "can_log_beside",
    "check_output",
    "is_stdout",
    "open_records",
    "repair_torn_tail",
]
