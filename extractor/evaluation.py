"""Scoring extraction results against gold files (``eval``) and comparing two runs (``compare``).

The rules, stated once:

* **Matching records to gold.** A record belongs to the gold file whose ``source`` has the same file
  name as the record's ``source`` (``seeds/0001.txt`` ~ ``0001.txt``); failing that, the same stem
  (``0001.html`` ~ ``0001.txt``; a trailing ``.gold`` is ignored), when only one gold file has it.
  When several records match one gold file, the last one wins (a run resumed after errors appends
  the retried record after the failed one).
* **Aligning events** (:func:`align_events`). First pass: events of the same kind and the same
  non-null date are paired, greedily in document order. Second pass: the events left on each side
  are paired in document order, whatever their kind. The rest stay unpaired.
* **Counting** (per field of :data:`SCORED_FIELDS`, for every aligned pair of events and for the
  page-level ``current_rating``): predicted and gold both non-null and equal is a true positive;
  a non-null prediction that is different from gold, or where gold is null, is a false positive;
  a non-null gold value that was predicted differently or not at all is a false negative (so a
  wrong value is both). An unpaired predicted event makes every non-null field a false positive, an
  unpaired gold event every non-null field a false negative. Null against null counts nothing.
  Gold files without a record count all their values as false negatives.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias

from pydantic import BaseModel, ValidationError

from extractor.errors import UsageError
from extractor.records import EVENT_FIELDS, Gold, Record

__all__ = [
    "EVENT_SCORED_FIELDS",
    "SCORED_FIELDS",
    "CompareCounts",
    "CompareReport",
    "Disagreement",
    "EvalReport",
    "FieldScore",
    "Mismatch",
    "align_events",
    "compare",
    "evaluate",
    "format_compare",
    "format_eval",
    "load_gold_dir",
    "load_records",
    "match_gold",
]

StrPath: TypeAlias = str | os.PathLike[str]
#: A field value as stored in the lists of mismatches and disagreements (dates as ISO strings).
JsonValue: TypeAlias = str | int | bool | None
Pair: TypeAlias = tuple[int | None, int | None]

#: The fields of one event that are scored, in record order (``GoldEvent`` has the same names).
EVENT_SCORED_FIELDS: tuple[str, ...] = ("kind", *EVENT_FIELDS)
#: The page-level field that is scored.
PAGE_FIELD = "current_rating"
#: Every scored field, in the order of the tables.
SCORED_FIELDS: tuple[str, ...] = (*EVENT_SCORED_FIELDS, PAGE_FIELD)


class _Dated(Protocol):
    """What :func:`align_events` needs of an event (``Event`` and ``GoldEvent`` both have it)."""

    @property
    def kind(self) -> str: ...

    @property
    def date(self) -> dt.date | None: ...


# --------------------------------------------------------------------------------------- loading


def _short_reason(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:  # pragma: no cover - pydantic always reports at least one
        return str(exc)
    first = errors[0]
    loc = ".".join(str(part) for part in first.get("loc", ()))
    reason = f"{loc}: {first['msg']}" if loc else str(first["msg"])
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more)"
    return reason


def _read_text(path: StrPath, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such {what}") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{path}: is a directory, expected a {what}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def load_records(path: StrPath) -> list[Record]:
    """The records of a JSONL results file, in file order; blank lines are skipped.

    Raises :class:`UsageError` naming the file and the 1-based line number of the first line that is
    not a valid record (or when the file cannot be read).
    """
    records: list[Record] = []
    for lineno, line in enumerate(_read_text(path, "results file").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(Record.model_validate_json(line))
        except ValidationError as exc:
            raise UsageError(f"{path}:{lineno}: not a valid record: {_short_reason(exc)}") from exc
    return records


def load_gold_dir(directory: StrPath) -> dict[str, Gold]:
    """Every gold file (``*.json``, which includes ``*.gold.json``) directly in ``directory``.

    Keyed by the file name of each gold's ``source``. A missing directory, an invalid gold file or
    two gold files for the same source raise :class:`UsageError`. An empty directory gives ``{}``.
    """
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"{directory}: no such gold directory")
    gold: dict[str, Gold] = {}
    origin: dict[str, Path] = {}
    for path in sorted(root.glob("*.json")):
        if not path.is_file():
            continue
        try:
            one = Gold.model_validate_json(_read_text(path, "gold file"))
        except ValidationError as exc:
            raise UsageError(f"{path}: not a valid gold file: {_short_reason(exc)}") from exc
        key = Path(one.source).name
        if key in gold:
            raise UsageError(f"{path}: gold for {key!r} is already given by {origin[key]}")
        gold[key] = one
        origin[key] = path
    return gold


# -------------------------------------------------------------------------------------- matching


def _stem(name: str) -> str:
    stem = Path(Path(name).name).stem
    return stem.removesuffix(".gold")


class _GoldIndex:
    """Finds the gold key for a record's ``source``: same file name, else a unique same stem."""

    def __init__(self, gold: Mapping[str, Gold]) -> None:
        self.by_name: dict[str, str] = {}
        stems: dict[str, set[str]] = {}
        for key, one in gold.items():
            for name in (Path(key).name, Path(one.source).name):
                self.by_name.setdefault(name, key)
                stems.setdefault(_stem(name), set()).add(key)
        self.by_stem = {stem: next(iter(keys)) for stem, keys in stems.items() if len(keys) == 1}

    def find(self, source: str) -> str | None:
        name = Path(source).name
        if name in self.by_name:
            return self.by_name[name]
        return self.by_stem.get(_stem(name))


def match_gold(source: str, gold: Mapping[str, Gold]) -> str | None:
    """The key in ``gold`` of the gold file for a record's ``source``, or ``None``."""
    return _GoldIndex(gold).find(source)


# ------------------------------------------------------------------------------------- alignment


def align_events(pred: Sequence[_Dated], gold: Sequence[_Dated]) -> list[Pair]:
    """Index pairs ``(pred_index, gold_index)``; an unpaired event has ``None`` on the other side.

    First pass: a predicted event is paired with the first unused gold event of the same kind and
    the same non-null date, in document order. Second pass: the i-th leftover predicted event is
    paired with the i-th leftover gold event, whatever their kinds. The result lists the pairs
    with a gold index in gold order, then the unpaired predicted events in predicted order.
    """
    gold_used = [False] * len(gold)
    pred_used = [False] * len(pred)
    pairs: list[Pair] = []
    for i, p in enumerate(pred):
        if p.date is None:
            continue
        for j, g in enumerate(gold):
            if not gold_used[j] and g.date is not None and g.kind == p.kind and g.date == p.date:
                gold_used[j] = pred_used[i] = True
                pairs.append((i, j))
                break
    pred_left = [i for i, used in enumerate(pred_used) if not used]
    gold_left = [j for j, used in enumerate(gold_used) if not used]
    for k in range(max(len(pred_left), len(gold_left))):
        pairs.append(
            (
                pred_left[k] if k < len(pred_left) else None,
                gold_left[k] if k < len(gold_left) else None,
            )
        )

    def order(pair: Pair) -> tuple[int, int]:
        i, j = pair
        return (0, j) if j is not None else (1, i if i is not None else -1)

    return sorted(pairs, key=order)


# --------------------------------------------------------------------------------------- scoring


def _jsonable(value: Any) -> JsonValue:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)  # pragma: no cover - every scored field is one of the above


def _event_values(event: BaseModel | None) -> dict[str, Any]:
    """The scored values of an event (``Event`` or ``GoldEvent``); all ``None`` for no event."""
    return {
        name: getattr(event, name) if event is not None else None for name in EVENT_SCORED_FIELDS
    }


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass
class FieldScore:
    """True positives, false positives and false negatives of one field (or of all: micro)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        """The number of non-null gold values."""
        return self.tp + self.fn

    @property
    def empty(self) -> bool:
        """Nothing to score: no gold value and no false positive."""
        return self.support == 0 and self.fp == 0

    @property
    def precision(self) -> float | None:
        return None if self.empty else _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return None if self.empty else _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        if self.empty:
            return None
        p, r = _ratio(self.tp, self.tp + self.fp), _ratio(self.tp, self.tp + self.fn)
        return 2 * p * r / (p + r) if p + r else 0.0

    def __iadd__(self, other: FieldScore) -> FieldScore:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.support,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


MismatchType = Literal["wrong", "spurious", "missed"]


@dataclass(frozen=True)
class Mismatch:
    """One value that was not right. ``pred_event``/``gold_event`` are ``None`` for the page field
    and on the missing side of an unpaired event. ``type``: ``wrong`` (both non-null, different),
    ``spurious`` (gold null or no gold event), ``missed`` (predicted null or no predicted event)."""

    source: str
    pred_event: int | None
    gold_event: int | None
    field: str
    predicted: JsonValue
    gold: JsonValue
    type: MismatchType

    @property
    def event_label(self) -> str:
        if self.field == PAGE_FIELD:
            return "page"
        p = "-" if self.pred_event is None else str(self.pred_event)
        g = "-" if self.gold_event is None else str(self.gold_event)
        return f"p{p}:g{g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "pred_event": self.pred_event,
            "gold_event": self.gold_event,
            "field": self.field,
            "predicted": self.predicted,
            "gold": self.gold,
            "type": self.type,
        }


@dataclass
class EvalReport:
    """The result of :func:`evaluate`."""

    fields: dict[str, FieldScore] = field(
        default_factory=lambda: {name: FieldScore() for name in SCORED_FIELDS}
    )
    documents: int = 0
    missing: list[str] = field(default_factory=list)
    unmatched_records: list[str] = field(default_factory=list)
    duplicate_records: int = 0
    errors: int = 0
    gold_events: int = 0
    predicted_events: int = 0
    aligned_events: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def micro(self) -> FieldScore:
        total = FieldScore()
        for score in self.fields.values():
            total += score
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": {name: score.to_dict() for name, score in self.fields.items()},
            "micro": self.micro.to_dict(),
            "documents": self.documents,
            "missing": len(self.missing),
            "missing_sources": list(self.missing),
            "unmatched_records": len(self.unmatched_records),
            "unmatched_sources": list(self.unmatched_records),
            "duplicate_records": self.duplicate_records,
            "errors": self.errors,
            "events": {
                "gold": self.gold_events,
                "predicted": self.predicted_events,
                "aligned": self.aligned_events,
            },
            "mismatches": [m.to_dict() for m in self.mismatches],
        }


def _score_value(
    report: EvalReport,
    source: str,
    name: str,
    pred: Any,
    gold: Any,
    pred_event: int | None,
    gold_event: int | None,
) -> None:
    score = report.fields[name]
    if pred is None and gold is None:
        return
    if pred is not None and gold is not None and pred == gold:
        score.tp += 1
        return
    kind: MismatchType
    if pred is not None and gold is not None:
        score.fp += 1
        score.fn += 1
        kind = "wrong"
    elif pred is not None:
        score.fp += 1
        kind = "spurious"
    else:
        score.fn += 1
        kind = "missed"
    report.mismatches.append(
        Mismatch(source, pred_event, gold_event, name, _jsonable(pred), _jsonable(gold), kind)
    )


def _score_document(report: EvalReport, source: str, record: Record | None, gold: Gold) -> None:
    pred_events = record.events if record is not None else []
    report.gold_events += len(gold.events)
    report.predicted_events += len(pred_events)
    _score_value(
        report,
        source,
        PAGE_FIELD,
        record.current_rating if record is not None else None,
        gold.current_rating,
        None,
        None,
    )
    for i, j in align_events(pred_events, gold.events):
        if i is not None and j is not None:
            report.aligned_events += 1
        pred_values = _event_values(pred_events[i] if i is not None else None)
        gold_values = _event_values(gold.events[j] if j is not None else None)
        for name in EVENT_SCORED_FIELDS:
            _score_value(report, source, name, pred_values[name], gold_values[name], i, j)


def evaluate(records: Iterable[Record], gold: Mapping[str, Gold]) -> EvalReport:
    """Field-level scores of ``records`` against ``gold`` (keyed as :func:`load_gold_dir` does).

    Documents are scored in the order of their first record, then the gold files without a record
    in key order; the mismatches follow that order.
    """
    index = _GoldIndex(gold)
    matched: dict[str, Record] = {}
    report = EvalReport()
    for record in records:
        key = index.find(record.source)
        if key is None:
            report.unmatched_records.append(record.source)
            continue
        if key in matched:
            report.duplicate_records += 1
        matched[key] = record
    for key, record in matched.items():
        report.documents += 1
        if record.error is not None:
            report.errors += 1
        _score_document(report, gold[key].source, record, gold[key])
    for key in sorted(gold):
        if key not in matched:
            report.missing.append(gold[key].source)
            _score_document(report, gold[key].source, None, gold[key])
    return report


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _show(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False)


def format_eval(report: EvalReport, *, show_mismatches: int = 20) -> str:
    """A fixed-width table (field, support, tp, fp, fn, P, R, F1), the micro line, mismatches."""
    width = max(len(name) for name in (*SCORED_FIELDS, "micro"))
    header = (
        f"{'field':<{width}}  {'support':>7}  {'tp':>5}  {'fp':>5}  {'fn':>5}"
        f"  {'P':>5}  {'R':>5}  {'F1':>5}"
    )

    def row(name: str, s: FieldScore) -> str:
        return (
            f"{name:<{width}}  {s.support:>7}  {s.tp:>5}  {s.fp:>5}  {s.fn:>5}"
            f"  {_fmt(s.precision):>5}  {_fmt(s.recall):>5}  {_fmt(s.f1):>5}"
        )

    lines = [header, "-" * len(header)]
    lines += [row(name, score) for name, score in report.fields.items()]
    lines += ["-" * len(header), row("micro", report.micro), ""]
    lines.append(
        f"documents: {report.documents} scored, {len(report.missing)} gold without a record, "
        f"{len(report.unmatched_records)} records without gold"
        + (f", {report.errors} with errors" if report.errors else "")
        + (f", {report.duplicate_records} duplicate records" if report.duplicate_records else "")
    )
    lines.append(
        f"events: {report.gold_events} gold, {report.predicted_events} predicted, "
        f"{report.aligned_events} aligned"
    )
    if report.missing:
        lines.append("gold without a record: " + ", ".join(report.missing))
    if report.mismatches and show_mismatches > 0:
        shown = report.mismatches[:show_mismatches]
        lines += ["", f"mismatches ({len(report.mismatches)}):"]
        src_w = max(len(m.source) for m in shown)
        ev_w = max(len(m.event_label) for m in shown)
        f_w = max(len(m.field) for m in shown)
        for m in shown:
            lines.append(
                f"{m.source:<{src_w}}  {m.event_label:<{ev_w}}  {m.field:<{f_w}}"
                f"  predicted={_show(m.predicted)}  gold={_show(m.gold)}"
            )
        if len(report.mismatches) > len(shown):
            lines.append(f"... and {len(report.mismatches) - len(shown)} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------- compare


@dataclass
class CompareCounts:
    """How two runs relate on one field; the ``*_right`` counts are ``None`` without gold."""

    agree: int = 0
    both_null: int = 0
    differ: int = 0
    only_a: int = 0
    only_b: int = 0
    a_right: int | None = None
    b_right: int | None = None
    neither: int | None = None

    @property
    def disagree(self) -> int:
        return self.differ + self.only_a + self.only_b

    def to_dict(self) -> dict[str, Any]:
        return {
            "agree": self.agree,
            "both_null": self.both_null,
            "differ": self.differ,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "a_right": self.a_right,
            "b_right": self.b_right,
            "neither": self.neither,
        }


@dataclass(frozen=True)
class Disagreement:
    """One field where the runs disagree. ``a_event``/``b_event`` are ``None`` for the page field
    and on the side without an event. ``gold_a``/``gold_b`` are the gold values each side is judged
    against (they differ only when A's and B's events align with different gold events);
    ``a_right``/``b_right`` are ``None`` where there is no gold for the document."""

    source: str
    a_event: int | None
    b_event: int | None
    field: str
    a: JsonValue
    b: JsonValue
    gold_a: JsonValue = None
    gold_b: JsonValue = None
    a_right: bool | None = None
    b_right: bool | None = None

    @property
    def event_label(self) -> str:
        if self.field == PAGE_FIELD:
            return "page"
        a = "-" if self.a_event is None else str(self.a_event)
        b = "-" if self.b_event is None else str(self.b_event)
        return f"a{a}:b{b}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "a_event": self.a_event,
            "b_event": self.b_event,
            "field": self.field,
            "a": self.a,
            "b": self.b,
            "gold_a": self.gold_a,
            "gold_b": self.gold_b,
            "a_right": self.a_right,
            "b_right": self.b_right,
        }


@dataclass
class CompareReport:
    """The result of :func:`compare`."""

    names: tuple[str, str] = ("A", "B")
    with_gold: bool = False
    fields: dict[str, CompareCounts] = field(default_factory=dict)
    documents: int = 0
    documents_with_gold: int = 0
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)
    events_a: int = 0
    events_b: int = 0
    aligned_events: int = 0
    unpaired_a: int = 0
    unpaired_b: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in SCORED_FIELDS:
            if name not in self.fields:
                zero = 0 if self.with_gold else None
                self.fields[name] = CompareCounts(a_right=zero, b_right=zero, neither=zero)

    @property
    def totals(self) -> CompareCounts:
        total = CompareCounts()
        for c in self.fields.values():
            total.agree += c.agree
            total.both_null += c.both_null
            total.differ += c.differ
            total.only_a += c.only_a
            total.only_b += c.only_b
            if c.a_right is not None and c.b_right is not None and c.neither is not None:
                total.a_right = (total.a_right or 0) + c.a_right
                total.b_right = (total.b_right or 0) + c.b_right
                total.neither = (total.neither or 0) + c.neither
        return total

    @property
    def judged(self) -> int:
        """Disagreements judged against gold."""
        return sum(1 for d in self.disagreements if d.a_right is not None)

    @property
    def better(self) -> str | None:
        """The name of the run that was right more often, ``None`` for a tie or without gold."""
        t = self.totals
        if t.a_right is None or t.b_right is None or t.a_right == t.b_right:
            return None
        return self.names[0] if t.a_right > t.b_right else self.names[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "with_gold": self.with_gold,
            "fields": {name: c.to_dict() for name, c in self.fields.items()},
            "totals": self.totals.to_dict(),
            "documents": self.documents,
            "documents_with_gold": self.documents_with_gold,
            "only_in_a": len(self.only_in_a),
            "only_in_b": len(self.only_in_b),
            "only_in_a_sources": list(self.only_in_a),
            "only_in_b_sources": list(self.only_in_b),
            "events": {
                "a": self.events_a,
                "b": self.events_b,
                "aligned": self.aligned_events,
                "unpaired_a": self.unpaired_a,
                "unpaired_b": self.unpaired_b,
            },
            "judged": self.judged,
            "better": self.better,
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


def _identity(record: Record) -> str:
    return f"sha256:{record.sha256}" if record.sha256 else f"name:{Path(record.source).name}"


def _dedupe(records: Iterable[Record]) -> list[Record]:
    """One record per document (by sha256, else file name), the last one, in first-seen order."""
    last: dict[str, Record] = {}
    for record in records:
        last[_identity(record)] = record
    return list(last.values())


def _pair_records(
    a: list[Record], b: list[Record]
) -> tuple[list[tuple[Record, Record]], list[Record], list[Record]]:
    """Pairs by sha256 where both records have one, else by file name; then the leftovers."""
    b_used = [False] * len(b)
    by_sha: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    for k, rec in enumerate(b):
        if rec.sha256:
            by_sha.setdefault(rec.sha256, k)
        by_name.setdefault(Path(rec.source).name, []).append(k)
    pairs: list[tuple[Record, Record]] = []
    only_a: list[Record] = []
    for rec in a:
        found: int | None = None
        if rec.sha256 and rec.sha256 in by_sha and not b_used[by_sha[rec.sha256]]:
            found = by_sha[rec.sha256]
        else:
            for k in by_name.get(Path(rec.source).name, []):
                if not b_used[k] and not (rec.sha256 and b[k].sha256):
                    found = k
                    break
        if found is None:
            only_a.append(rec)
        else:
            b_used[found] = True
            pairs.append((rec, b[found]))
    only_b = [rec for k, rec in enumerate(b) if not b_used[k]]
    return pairs, only_a, only_b


def _compare_value(
    report: CompareReport,
    source: str,
    name: str,
    va: Any,
    vb: Any,
    a_event: int | None,
    b_event: int | None,
    both_present: bool,
    gold_values: tuple[Any, Any] | None,
) -> None:
    counts = report.fields[name]
    if va is None and vb is None:
        if both_present:
            counts.both_null += 1
        return
    if va is not None and vb is not None and va == vb:
        counts.agree += 1
        return
    if va is not None and vb is not None:
        counts.differ += 1
    elif va is not None:
        counts.only_a += 1
    else:
        counts.only_b += 1
    a_right: bool | None = None
    b_right: bool | None = None
    gold_a: Any = None
    gold_b: Any = None
    if gold_values is not None:
        gold_a, gold_b = gold_values
        a_right, b_right = bool(va == gold_a), bool(vb == gold_b)
        counts.a_right = (counts.a_right or 0) + a_right
        counts.b_right = (counts.b_right or 0) + b_right
        counts.neither = (counts.neither or 0) + (not a_right and not b_right)
    report.disagreements.append(
        Disagreement(
            source=source,
            a_event=a_event,
            b_event=b_event,
            field=name,
            a=_jsonable(va),
            b=_jsonable(vb),
            gold_a=_jsonable(gold_a),
            gold_b=_jsonable(gold_b),
            a_right=a_right,
            b_right=b_right,
        )
    )


def _gold_ref(
    own: int | None,
    own_map: Mapping[int, int | None],
    other: int | None,
    other_map: Mapping[int, int | None],
) -> int | None:
    """The gold event a side is judged against: its own event's, else the other side's event's."""
    if own is not None:
        return own_map.get(own)
    if other is not None:
        return other_map.get(other)
    return None


def _compare_document(report: CompareReport, ra: Record, rb: Record, gold: Gold | None) -> None:
    source = Path(ra.source).name
    report.events_a += len(ra.events)
    report.events_b += len(rb.events)
    page_gold = (gold.current_rating, gold.current_rating) if gold is not None else None
    _compare_value(
        report,
        source,
        PAGE_FIELD,
        ra.current_rating,
        rb.current_rating,
        None,
        None,
        True,
        page_gold,
    )
    to_gold_a: dict[int, int | None] = {}
    to_gold_b: dict[int, int | None] = {}
    if gold is not None:
        to_gold_a = {i: j for i, j in align_events(ra.events, gold.events) if i is not None}
        to_gold_b = {i: j for i, j in align_events(rb.events, gold.events) if i is not None}
    for ia, ib in align_events(ra.events, rb.events):
        if ia is not None and ib is not None:
            report.aligned_events += 1
        elif ia is not None:
            report.unpaired_a += 1
        else:
            report.unpaired_b += 1
        values_a = _event_values(ra.events[ia] if ia is not None else None)
        values_b = _event_values(rb.events[ib] if ib is not None else None)
        gold_a: dict[str, Any] = {}
        gold_b: dict[str, Any] = {}
        if gold is not None:
            # Each side is judged against the gold event its own event aligns with; a side
            # without an event is judged against the gold event of the other side's event.
            ref_a = _gold_ref(ia, to_gold_a, ib, to_gold_b)
            ref_b = _gold_ref(ib, to_gold_b, ia, to_gold_a)
            gold_a = _event_values(gold.events[ref_a] if ref_a is not None else None)
            gold_b = _event_values(gold.events[ref_b] if ref_b is not None else None)
        for name in EVENT_SCORED_FIELDS:
            _compare_value(
                report,
                source,
                name,
                values_a[name],
                values_b[name],
                ia,
                ib,
                ia is not None and ib is not None,
                (gold_a[name], gold_b[name]) if gold is not None else None,
            )


def compare(
    a: Iterable[Record],
    b: Iterable[Record],
    gold: Mapping[str, Gold] | None = None,
    *,
    names: tuple[str, str] = ("A", "B"),
) -> CompareReport:
    """Where runs ``a`` and ``b`` agree and differ, field by field; with ``gold``, who was right.

    Records are paired by sha256 where both have one, else by file name (one record per document
    and run: the last). Events are aligned with :func:`align_events` (A as "pred", B as "gold").
    For each field of each aligned pair: ``agree`` (equal, non-null), ``both_null``, ``differ``
    (both non-null, different), ``only_a``/``only_b`` (the other is null). An unpaired event
    counts its non-null fields as ``only_a``/``only_b``. With gold, each disagreement is judged:
    a side is right when its value equals the gold value (null equals null).
    """
    report = CompareReport(names=names, with_gold=gold is not None)
    pairs, only_a, only_b = _pair_records(_dedupe(a), _dedupe(b))
    report.only_in_a = [rec.source for rec in only_a]
    report.only_in_b = [rec.source for rec in only_b]
    index = _GoldIndex(gold) if gold is not None else None
    for ra, rb in pairs:
        report.documents += 1
        one: Gold | None = None
        if gold is not None and index is not None:
            key = index.find(ra.source) or index.find(rb.source)
            if key is not None:
                one = gold[key]
                report.documents_with_gold += 1
        _compare_document(report, ra, rb, one)
    return report


def format_compare(report: CompareReport, *, show: int = 20) -> str:
    """A table per field of the counts (with gold, who was right), a verdict, then disagreements."""
    a_name, b_name = report.names
    lines = [f"A = {a_name}, B = {b_name}", *_compare_table(report), ""]
    lines.append(
        f"documents: {report.documents} in both, {len(report.only_in_a)} only in {a_name}, "
        f"{len(report.only_in_b)} only in {b_name}"
        + (f", {report.documents_with_gold} with gold" if report.with_gold else "")
    )
    lines.append(
        f"events: {report.events_a} in {a_name}, {report.events_b} in {b_name}, "
        f"{report.aligned_events} aligned, {report.unpaired_a} only in {a_name}, "
        f"{report.unpaired_b} only in {b_name}"
    )
    if report.with_gold:
        lines.append(_verdict(report))
    if report.disagreements and show > 0:
        lines += ["", f"disagreements ({len(report.disagreements)}):"]
        lines += _disagreement_lines(report, show)
    return "\n".join(lines)


def _compare_table(report: CompareReport) -> list[str]:
    """The counts per field and in total, as table rows under a header."""
    a_name, b_name = report.names
    columns = ["agree", "both_null", "differ", f"only_{a_name}", f"only_{b_name}"]
    if report.with_gold:
        columns += [f"{a_name}_right", f"{b_name}_right", "neither"]
    width = max(len(name) for name in (*SCORED_FIELDS, "total"))
    widths = [max(len(c), 5) for c in columns]

    def row(name: str, c: CompareCounts) -> str:
        values: list[int | None] = [c.agree, c.both_null, c.differ, c.only_a, c.only_b]
        if report.with_gold:
            values += [c.a_right, c.b_right, c.neither]
        cells = ["-" if v is None else str(v) for v in values]
        return f"{name:<{width}}" + "".join(
            f"  {v:>{w}}" for v, w in zip(cells, widths, strict=True)
        )

    header = f"{'field':<{width}}" + "".join(
        f"  {col:>{w}}" for col, w in zip(columns, widths, strict=True)
    )
    rows = [row(name, c) for name, c in report.fields.items()]
    return [header, "-" * len(header), *rows, "-" * len(header), row("total", report.totals)]


def _verdict(report: CompareReport) -> str:
    """Which run the gold more often agreed with, where the two differ."""
    a_name, b_name = report.names
    t = report.totals
    if report.judged == 0:
        return "verdict: no disagreement could be judged against gold"
    detail = (
        f"{a_name} right {t.a_right}, {b_name} right {t.b_right}, neither {t.neither}, "
        f"of {report.judged} disagreements judged against gold"
    )
    if report.better is None:
        return f"verdict: neither run was right more often ({detail})"
    return f"verdict: {report.better} was right more often ({detail})"


def _disagreement_lines(report: CompareReport, show: int) -> list[str]:
    """The first ``show`` disagreements, one line each, with gold where there is some."""
    a_name, b_name = report.names
    shown = report.disagreements[:show]
    src_w = max(len(d.source) for d in shown)
    ev_w = max(len(d.event_label) for d in shown)
    f_w = max(len(d.field) for d in shown)
    lines = []
    for d in shown:
        line = (
            f"{d.source:<{src_w}}  {d.event_label:<{ev_w}}  {d.field:<{f_w}}"
            f"  {a_name}={_show(d.a)}  {b_name}={_show(d.b)}"
        )
        if d.a_right is not None:
            if d.gold_a == d.gold_b:
                line += f"  gold={_show(d.gold_a)}"
            else:
                line += f"  gold({a_name})={_show(d.gold_a)}  gold({b_name})={_show(d.gold_b)}"
        lines.append(line)
    if len(report.disagreements) > len(shown):
        lines.append(f"... and {len(report.disagreements) - len(shown)} more")
    return lines
