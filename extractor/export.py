"""Records flattened to one row per event: the table an analyst loads into pandas or a spreadsheet.

Columns, in order: ``source``, ``event`` (the event's index in the record, from 0), ``kind``,
every event field (:data:`~extractor.records.EVENT_FIELDS`), the page-level ``current_rating``
(repeated on each of the page's rows), ``errors`` and ``warnings`` (the issues of that severity
about this event or about the page as a whole, i.e. with no event), and, with quotes, one
``<field>_quote`` column per field (the evidence quote, empty when there is none).

A record without events (a page with none found, or one that could not be processed) has no
row: the table has one row per event. :class:`ExportSummary` counts such records.

Values: dates as ISO ``YYYY-MM-DD``, ``announced`` as ``true``/``false``; a null is an empty CSV
cell and a JSON ``null``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from extractor.records import EVENT_FIELDS, Record

__all__ = ["ExportSummary", "columns", "event_rows", "write_csv", "write_jsonl"]

PAGE_FIELD = "current_rating"


def columns(*, quotes: bool = False) -> list[str]:
    """The column names, in order."""
    names = ["source", "event", "kind", *EVENT_FIELDS, PAGE_FIELD, "errors", "warnings"]
    if quotes:
        names += [f"{name}_quote" for name in (*EVENT_FIELDS, PAGE_FIELD)]
    return names


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def event_rows(record: Record, *, quotes: bool = False) -> Iterator[dict[str, Any]]:
    """One dict per event of ``record``, with the keys of :func:`columns` (values as JSON)."""
    page_quote = record.current_rating_evidence.quote if record.current_rating_evidence else None
    for i, event in enumerate(record.events):
        about = [issue for issue in record.issues if issue.event in (i, None)]
        row: dict[str, Any] = {"source": record.source, "event": i, "kind": event.kind}
        for name in EVENT_FIELDS:
            row[name] = _plain(getattr(event, name))
        row[PAGE_FIELD] = record.current_rating
        row["errors"] = sum(issue.severity == "error" for issue in about)
        row["warnings"] = sum(issue.severity == "warning" for issue in about)
        if quotes:
            quoted: dict[str, str] = {
                name: evidence.quote for name, evidence in event.evidence.items()
            }
            for name in EVENT_FIELDS:
                row[f"{name}_quote"] = quoted.get(name)
            row[f"{PAGE_FIELD}_quote"] = page_quote
        yield row


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class ExportSummary:
    """What an export wrote."""

    rows: int = 0
    records: int = 0
    without_events: int = 0

    def line(self) -> str:
        line = f"{_count(self.rows, 'row')} from {_count(self.records, 'record')}"
        if self.without_events == 1:
            line += " (1 record without events has no row)"
        elif self.without_events:
            line += f" ({self.without_events} records without events have no row)"
        return line


def _rows(
    records: Iterable[Record], quotes: bool, summary: ExportSummary
) -> Iterator[dict[str, Any]]:
    for record in records:
        summary.records += 1
        if not record.events:
            summary.without_events += 1
        for row in event_rows(record, quotes=quotes):
            summary.rows += 1
            yield row


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(records: Iterable[Record], out: IO[str], *, quotes: bool = False) -> ExportSummary:
    """CSV with a header row (``out`` opened with ``newline=""``)."""
    summary = ExportSummary()
    writer = csv.DictWriter(out, fieldnames=columns(quotes=quotes))
    writer.writeheader()
    for row in _rows(records, quotes, summary):
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    return summary


def write_jsonl(records: Iterable[Record], out: IO[str], *, quotes: bool = False) -> ExportSummary:
    """One JSON object per line and per event, with the keys of :func:`columns`."""
    summary = ExportSummary()
    for row in _rows(records, quotes, summary):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return summary
