"""The review page: one self-contained HTML file to read a run's records against their pages.

:func:`build_documents` turns records (and, optionally, another run and gold files) into the plain
data the page shows; :func:`render_page` embeds that data once, as JSON, in the page template
(``review_page.html`` beside this module: inline CSS and JS, no network); :func:`write_review`
does both for a results file and writes the page, in parts of at most ``per_page`` documents.

What the page promises, and how:

* **Page text is data, never markup.** The data sits in ``<script type="application/json">`` with
  ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no ``</script>`` in a
  page can close the element; the script builds every node with ``createElement`` and
  ``textContent``. A Content-Security-Policy meta lets nothing load from anywhere.
* **Offsets are shown as they are.** A document's text is read as ``cqc-extract text`` reads it
  (:func:`extractor.loading.load_document`), and each evidence entry becomes one span
  ``[start, end)`` of it. A source that cannot be read leaves the document in the list with a note.
* **Disagreements.** Records of the other run are paired by sha256 where both have one, else by
  file name (the last record of a document wins, as in :mod:`extractor.evaluation`); gold files
  are found with :func:`~extractor.evaluation.match_gold`; events are paired with
  :func:`~extractor.evaluation.align_events`. Every value that differs from its counterpart is
  marked with the other value, including the non-null values of an event the other side lacks.
"""

from __future__ import annotations

import bisect
import datetime as dt
import html
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from extractor.errors import LoadError, UsageError
from extractor.evaluation import align_events, load_gold_dir, load_records, match_gold
from extractor.loading import load_document
from extractor.records import EVENT_FIELDS, Gold, Record

__all__ = [
    "COLUMNS",
    "DEFAULT_PER_PAGE",
    "PAGE_FIELD",
    "Comparison",
    "WrittenPart",
    "build_documents",
    "embed_json",
    "render_page",
    "write_review",
]

JsonValue: TypeAlias = str | int | bool | None
Json: TypeAlias = dict[str, Any]

#: The event table's columns: the kind, then every field that carries a value.
COLUMNS: tuple[str, ...] = ("kind", *EVENT_FIELDS)
#: The page-level field, shown above the event table.
PAGE_FIELD = "current_rating"
#: Documents per HTML file; larger runs are written as numbered parts linked to each other.
DEFAULT_PER_PAGE = 2000


class _EventLike(Protocol):
    """An extracted or a gold event: what the table compares."""

    @property
    def kind(self) -> str: ...

    @property
    def date(self) -> dt.date | None: ...


def _value(event: Any, name: str) -> JsonValue:
    value = getattr(event, name)
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass(frozen=True)
class Comparison:
    """One counterpart to compare the run with: another run's records, or gold files."""

    label: str  # shown on the page: the other results file's name, or "gold"
    records: Mapping[str, Record] | None = None  # keyed by sha256 and by file name
    gold: Mapping[str, Gold] | None = None

    @classmethod
    def of_run(cls, label: str, records: Iterable[Record]) -> Comparison:
        index: dict[str, Record] = {}
        for rec in records:  # the last record of a document wins
            if rec.sha256:
                index[f"sha256:{rec.sha256}"] = rec
            index[f"name:{Path(rec.source).name}"] = rec
        return cls(label=label, records=index)

    @classmethod
    def of_gold(cls, gold: Mapping[str, Gold]) -> Comparison:
        return cls(label="gold", gold=gold)

    def find(self, record: Record) -> Record | Gold | None:
        """The counterpart of ``record``: by sha256 where both have one, else by file name."""
        if self.records is not None:
            if record.sha256 and f"sha256:{record.sha256}" in self.records:
                return self.records[f"sha256:{record.sha256}"]
            other = self.records.get(f"name:{Path(record.source).name}")
            if other is not None and not (record.sha256 and other.sha256):
                return other
            return None
        if self.gold is not None:
            key = match_gold(record.source, _gold_candidates(self.gold, record.source))
            return self.gold[key] if key is not None else None
        return None


def _gold_candidates(gold: Mapping[str, Gold], source: str) -> Mapping[str, Gold]:
    """The gold files that can match ``source`` (their names start alike), so that matching
    a run against a large gold directory stays linear; :func:`match_gold` decides among them."""
    head = Path(source).name.split(".", 1)[0]
    return {
        key: one
        for key, one in gold.items()
        if head in (Path(key).name.split(".", 1)[0], Path(one.source).name.split(".", 1)[0])
    }


# ------------------------------------------------------------------------------------ documents


def _find_source(source: str, bases: Sequence[Path]) -> Path | None:
    path = Path(source)
    if path.is_absolute():
        return path
    for base in bases:
        if (base / path).exists():
            return base / path
    return None


def _read_source(record: Record, bases: Sequence[Path]) -> tuple[str | None, list[str]]:
    """The document's text as offsets see it, or ``None`` and a note saying why not."""
    path = _find_source(record.source, bases)
    if path is None:
        return None, [f"source not found: {record.source} (try --base-dir)"]
    try:
        doc = load_document(path)
    except LoadError as err:
        return None, [f"source cannot be read: {err}"]
    notes = []
    if record.sha256 and doc.sha256 != record.sha256:
        notes.append("the source changed since it was extracted (sha256 differs): spans may be off")
    return doc.text, notes


def _utf16(text: str) -> Callable[[int], int]:
    """Maps a code-point offset of ``text`` (Python's) to a UTF-16 one (JavaScript's)."""
    if text.isascii() or max(text) <= "\uffff":
        return lambda i: i
    astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
    return lambda i: i + bisect.bisect_left(astral, i)


def _cell(value: JsonValue) -> Json:
    return {"value": value, "span": None, "issues": [], "diffs": []}


def _compare_events(
    doc: Json, record: Record, events: Sequence[_EventLike], label: str, page_value: JsonValue
) -> None:
    """Mark in ``doc`` every value of ``record`` that differs from ``events`` (the counterpart's),
    and add a row for each counterpart event without a partner."""
    if record.current_rating != page_value:
        doc["page"]["diffs"].append({"against": label, "value": page_value})
        doc["diff_fields"].add(PAGE_FIELD)
    for i, j in align_events(record.events, events):
        if i is None:
            assert j is not None
            row: Json = {"label": f"only in {label}", "missing": True, "unpaired": [], "cells": {}}
            for name in COLUMNS:
                cell = _cell(None)
                theirs = _value(events[j], name)
                if theirs is not None:
                    cell["diffs"].append({"against": label, "value": theirs})
                    doc["diff_fields"].add(name)
                row["cells"][name] = cell
            doc["rows"].append(row)
            continue
        mine = record.events[i]
        for name in COLUMNS:
            ours = _value(mine, name)
            theirs = _value(events[j], name) if j is not None else None
            if ours != theirs:
                doc["rows"][i]["cells"][name]["diffs"].append({"against": label, "value": theirs})
                doc["diff_fields"].add(name)
        if j is None:
            doc["rows"][i]["unpaired"].append(label)


def _document(record: Record, bases: Sequence[Path], comparisons: Sequence[Comparison]) -> Json:
    text, notes = _read_source(record, bases)
    if record.error is not None:
        notes.insert(0, f"not processed: {record.error.type}: {record.error.message}")
    spans: list[Json] = []
    rows: list[Json] = []

    def add_span(field: str, event: int | None, ev: Any) -> int:
        spans.append(
            {"start": ev.start, "end": ev.end, "field": field, "event": event, "quote": ev.quote}
        )
        return len(spans) - 1

    page = _cell(record.current_rating)
    if record.current_rating_evidence is not None:
        page["span"] = add_span(PAGE_FIELD, None, record.current_rating_evidence)
    for i, event in enumerate(record.events):
        cells = {name: _cell(_value(event, name)) for name in COLUMNS}
        for name, evidence in event.evidence.items():
            cells[name]["span"] = add_span(name, i, evidence)
        rows.append({"label": f"E{i + 1}", "missing": False, "unpaired": [], "cells": cells})

    issues = [issue.model_dump() for issue in record.issues]
    for k, issue in enumerate(record.issues):
        if issue.event is None and issue.field == PAGE_FIELD:
            page["issues"].append(k)
        elif issue.event is not None and 0 <= issue.event < len(rows):
            column = issue.field if issue.field in COLUMNS else "kind"
            rows[issue.event]["cells"][column]["issues"].append(k)

    to16 = _utf16(text or "")
    limit = len(text or "")
    for span in spans:  # where the page's script finds the span in its UTF-16 string
        span["from"] = to16(min(span["start"], limit))
        span["to"] = to16(min(span["end"], limit))

    doc: Json = {
        "source": record.source,
        "name": Path(record.source).name,
        "text": text,
        "notes": notes,
        "page": page,
        "rows": rows,
        "spans": spans,
        "issues": issues,
        "diff_fields": set(),
    }
    for comparison in comparisons:
        other = comparison.find(record)
        if other is None:
            what = "record" if comparison.records is not None else "gold file"
            doc["notes"].append(f"no {what} for this document in {comparison.label}")
            continue
        _compare_events(doc, record, other.events, comparison.label, other.current_rating)

    diffs = len(page["diffs"]) + sum(len(c["diffs"]) for r in rows for c in r["cells"].values())
    doc["diff_fields"] = sorted(doc["diff_fields"])
    doc["counts"] = {
        "events": len(record.events),
        "errors": sum(i.severity == "error" for i in record.issues),
        "warnings": sum(i.severity == "warning" for i in record.issues),
        "disagreements": diffs,
    }
    doc["issue_fields"] = {
        severity: sorted({i.field or "kind" for i in record.issues if i.severity == severity})
        for severity in ("error", "warning")
    }
    return doc


def build_documents(
    records: Iterable[Record],
    *,
    bases: Sequence[Path] = (),
    comparisons: Sequence[Comparison] = (),
) -> list[Json]:
    """The data the review page shows, one entry per record, in the order of ``records``.

    ``bases`` are the directories a relative ``source`` is looked up in (in order); an absolute
    one is used as it is. Each entry holds the text (``None`` when it cannot be read, with a note
    saying why), the evidence ``spans`` (``start``, ``end``, ``field``, ``event``, ``quote``), the
    event table ``rows`` of cells (``value``, ``span`` index, ``issues`` indices, ``diffs`` against
    each comparison), the page-level ``page`` cell, the ``issues`` and the ``counts``.
    """
    return [_document(record, bases, comparisons) for record in records]


# ------------------------------------------------------------------------------------ rendering


def embed_json(data: Any) -> str:
    """``data`` as JSON safe inside an HTML ``<script>`` element: no ``<``, ``>`` or ``&``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _template() -> str:
    return resources.files("extractor").joinpath("review_page.html").read_text(encoding="utf-8")


def render_page(documents: Sequence[Json], meta: Mapping[str, Any]) -> str:
    """The review page for ``documents`` (from :func:`build_documents`): the template with the
    data embedded once. ``meta`` holds ``title``, the ``run`` and ``comparisons`` labels, and
    ``parts``/``part`` (the file names of all parts and this one's index)."""
    head, marker, tail = _template().partition("__REVIEW_DATA__")
    if not marker:  # pragma: no cover - the template ships with the package
        raise RuntimeError("review_page.html has no __REVIEW_DATA__ marker")
    head = head.replace("__REVIEW_TITLE__", html.escape(str(meta.get("title", "review"))))
    payload = embed_json({"meta": dict(meta), "fields": [*COLUMNS, PAGE_FIELD], "docs": documents})
    return head + payload + tail


@dataclass(frozen=True)
class WrittenPart:
    """One file the review was written to."""

    path: Path
    size: int
    documents: int


def _part_paths(output: Path, parts: int) -> list[Path]:
    return [output] + [
        output.with_name(f"{output.stem}-{n}{output.suffix}") for n in range(2, parts + 1)
    ]


def write_review(
    results: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    against: str | os.PathLike[str] | None = None,
    gold_dir: str | os.PathLike[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    per_page: int = DEFAULT_PER_PAGE,
) -> list[WrittenPart]:
    """Write the review of ``results`` to ``output``: one page, or, for more than ``per_page``
    documents, parts ``output``, ``NAME-2.html``, ``NAME-3.html``... linked to each other.

    Relative sources are looked up in ``base_dir``, else the current directory, then the
    results file's directory. Raises :class:`UsageError` for an unreadable results file or gold
    directory, or a ``per_page`` below 1.
    """
    if per_page < 1:
        raise UsageError(f"--per-page must be at least 1, not {per_page}")
    results = Path(results)
    records = load_records(results)
    comparisons: list[Comparison] = []
    if against is not None:
        comparisons.append(Comparison.of_run(Path(against).name, load_records(against)))
    if gold_dir is not None:
        comparisons.append(Comparison.of_gold(load_gold_dir(gold_dir)))
    bases = [Path(base_dir)] if base_dir else [Path.cwd(), results.resolve().parent]
    out = Path(output)
    count = max(1, -(-len(records) // per_page))
    paths = _part_paths(out, count)
    written: list[WrittenPart] = []
    for n, path in enumerate(paths):
        chunk = records[n * per_page : (n + 1) * per_page]
        meta = {
            "title": f"Review of {results.name}",
            "run": results.name,
            "comparisons": [c.label for c in comparisons],
            "part": n,
            "parts": [p.name for p in paths],
            "first": n * per_page,
            "total": len(records),
        }
        page = render_page(build_documents(chunk, bases=bases, comparisons=comparisons), meta)
        data = page.encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(WrittenPart(path=path, size=len(data), documents=len(chunk)))
    return written
