"""Accuracy of the rules backend against gold, and the checker on every record it makes.

* the two seeds are extracted exactly as their gold: every field of every event, and the page's
  current rating;
* on the development corpus (``tests/data/corpus`` against ``tests/data/corpus-gold``),
  ``evaluate`` gives micro-F1 >= 0.95 and F1 >= 0.90 for every field that has gold values;
* every record passes the checker without an issue of severity ``error``, and every evidence
  holds: ``text[start:end] == quote``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DATA, SEEDS

from extractor.checker import check_record
from extractor.document import Document
from extractor.evaluation import align_events, evaluate, format_eval, load_gold_dir
from extractor.loading import load_document
from extractor.pipeline import extract_document
from extractor.records import Gold, Record
from extractor.rules import RulesBackend

CORPUS = DATA / "corpus"
CORPUS_GOLD = DATA / "corpus-gold"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))


@functools.cache
def corpus_run() -> tuple[tuple[Document, Record], ...]:
    backend = RulesBackend()
    out = []
    for path in CORPUS_FILES:
        doc = load_document(path, source=path.name)
        out.append((doc, extract_document(doc, backend)))
    return tuple(out)


def test_the_test_data_is_complete_and_self_contained() -> None:
    assert len(CORPUS_FILES) == 132
    gold = load_gold_dir(CORPUS_GOLD)
    assert sorted(gold) == [p.name for p in CORPUS_FILES]
    assert (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").count("\n") == 132
    assert len(SEED_FILES) == 2


# --- the seeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=[p.stem for p in SEED_FILES])
def test_seed_is_extracted_exactly_as_its_gold(path: Path) -> None:
    gold = Gold.model_validate_json(
        path.with_name(path.stem + ".gold.json").read_text(encoding="utf-8")
    )
    doc = load_document(path)
    record = extract_document(doc, RulesBackend())
    assert record.error is None
    assert record.current_rating == gold.current_rating
    assert [e.values() for e in record.events] == [g.model_dump(mode="json") for g in gold.events]
    assert [i for i in record.issues if i.severity == "error"] == []
    for event in record.events:
        for name, ev in event.evidence.items():
            assert ev.holds_in(doc.text), (name, ev)
        # evidence for every non-null field and for no null one
        assert set(event.evidence) == {
            k for k, v in event.values().items() if k != "kind" and v is not None
        }


def test_seed_003_awards_no_rating_that_the_text_does_not_state() -> None:
    """Seed 003's 2019 inspection states the last rating, not the new one: no guessing."""
    record = extract_document(SEEDS / "003_7166d48ac7fe3a64.txt", RulesBackend())
    first = record.events[0]
    assert first.date is not None and first.date.isoformat() == "2019-11-20"
    assert first.overall_rating is None
    assert first.previous_rating == "Requires improvement"
    assert "overall_rating" not in first.evidence


# --- the development corpus --------------------------------------------------------------------


def test_corpus_accuracy_against_gold() -> None:
    report = evaluate([r for _, r in corpus_run()], load_gold_dir(CORPUS_GOLD))
    shown = format_eval(report, show_mismatches=50)
    assert report.documents == 132 and not report.missing and not report.unmatched_records, shown
    assert report.errors == 0, shown
    micro = report.micro.f1
    assert micro is not None and micro >= 0.95, shown
    for name, score in report.fields.items():
        if score.support == 0:
            continue
        assert score.f1 is not None and score.f1 >= 0.90, f"{name}\n{shown}"


def test_corpus_events_are_found_one_for_one() -> None:
    report = evaluate([r for _, r in corpus_run()], load_gold_dir(CORPUS_GOLD))
    assert report.gold_events == report.predicted_events == report.aligned_events == 132


def test_every_corpus_record_passes_the_checker() -> None:
    failures = []
    for doc, record in corpus_run():
        # the record's own issues, and a fresh run of the checker on the record as it stands
        for found in (record.issues, check_record(record, doc.text)):
            errors = [i for i in found if i.severity == "error"]
            if errors:
                failures.append(f"{doc.source}: {[(i.code, i.event, i.field) for i in errors]}")
    assert failures == []


def test_every_corpus_evidence_holds() -> None:
    checked = 0
    for doc, record in corpus_run():
        if record.current_rating_evidence is not None:
            assert record.current_rating_evidence.holds_in(doc.text), doc.source
            checked += 1
        for i, event in enumerate(record.events):
            for name, ev in event.evidence.items():
                assert ev.holds_in(doc.text), (doc.source, i, name, ev)
                assert doc.text[ev.start : ev.end] == ev.quote
                checked += 1
    assert checked >= 200


@pytest.mark.parametrize("name", ["heldout", "heldout2", "heldout3"])
def test_heldout_pages_accuracy_and_checker(name: str) -> None:
    """Pages written to the guidelines apart from the rules (tests/data/heldout*/README.md):
    the same bars as the development sample, and no checker error on any value gold agrees
    with (the checker's role judgement does flag the rules' wrong ratings here)."""
    backend = RulesBackend()
    records = []
    heldout = DATA / name
    golds = load_gold_dir(heldout)
    for path in sorted(heldout.glob("*.txt")):
        doc = load_document(path, source=path.name)
        record = extract_document(doc, backend)
        gold = golds[path.name]
        right = {
            (i, f)
            for i, j in align_events(record.events, gold.events)
            if i is not None and j is not None
            for f, v in record.events[i].values().items()
            if v == gold.events[j].model_dump(mode="json")[f]
        }
        wrongly = [
            x
            for x in record.issues
            if x.severity == "error" and (x.event is None or (x.event, x.field) in right)
        ]
        assert wrongly == [], path.name
        records.append(record)
    report = evaluate(records, golds)
    shown = format_eval(report, show_mismatches=50)
    assert report.documents == 40 and not report.missing, shown
    assert report.micro.f1 is not None and report.micro.f1 >= 0.95, shown
    for name, score in report.fields.items():
        if score.support:
            assert score.f1 is not None and score.f1 >= 0.90, f"{name}\n{shown}"


@dataclass(frozen=True)
class RealSet:
    """One blind set of real page excerpts (tests/data/<name>/README.md) as a regression set:
    its size, and bars a little under what the rules reach on it since it was tuned on."""

    name: str
    documents: int
    gold_events: int
    #: events aligned with gold at the least; None: every event predicted and aligned
    min_aligned: int | None
    micro_f1: float
    micro_precision: float | None
    field_f1: float
    #: (file, field) of values gold agrees with on which the checker reports an error, each
    #: with its reason in a comment above REAL_SETS
    shortfalls: frozenset[tuple[str, str]] = frozenset()
    #: other checker errors allowed on values gold agrees with
    spare_errors: int = 0
    #: no checker error at all on any record, right values or wrong
    no_errors: bool = False


#: real3 f034: a correct overall rating whose quote is a part's sentence ("Our rating of this
#: service for children and young people went down. We rated it as requires improvement"): the
#: checker rightly rejects that evidence.
REAL_SETS = [
    # blind 0.933 before any rule changed for it; 0.997 since
    RealSet("real", 149, 160, None, 0.98, 0.98, 0.95, no_errors=True),
    # blind 0.935 after the first round; 0.998 since
    RealSet("real2", 79, 82, None, 0.98, 0.98, 0.93),
    # blind 0.966 after the second round; 0.991 since
    RealSet("real3", 73, 77, 75, 0.98, 0.98, 0.95, frozenset({("f034.txt", "overall_rating")})),
    # blind 0.954 after the third round; 0.976 since
    RealSet("real4", 61, 66, 65, 0.97, None, 0.90, spare_errors=1),
]


def _right_values(record: Record, gold: Gold) -> set[tuple[int, str]]:
    """(event, field) of the record's values that gold agrees with."""
    return {
        (i, f)
        for i, j in align_events(record.events, gold.events)
        if i is not None and j is not None
        for f, v in record.events[i].values().items()
        if v == gold.events[j].model_dump(mode="json")[f]
    }


@pytest.mark.parametrize("real", REAL_SETS, ids=lambda r: r.name)
def test_real_pages_accuracy_and_checker(real: RealSet) -> None:
    """Each blind set of real excerpts, now a regression set: every quote holds in its page, no
    checker error on a value gold agrees with (beyond the listed shortfalls), and the accuracy
    bars."""
    backend = RulesBackend()
    records = []
    folder = DATA / real.name
    golds = load_gold_dir(folder)
    wrong_checks = []
    for path in sorted(folder.glob("*.txt")):
        doc = load_document(path, source=path.name)
        record = extract_document(doc, backend)
        if real.no_errors:
            assert [i for i in record.issues if i.severity == "error"] == [], path.name
        for event in record.events:
            for ev in event.evidence.values():
                assert ev.holds_in(doc.text), path.name
        right = _right_values(record, golds[path.name])
        wrong_checks += [
            (path.name, x.code, x.field)
            for x in record.issues
            if x.severity == "error"
            and (x.event is None or (x.event, x.field) in right)
            and (path.name, x.field) not in real.shortfalls
        ]
        records.append(record)
    assert len(wrong_checks) <= real.spare_errors, wrong_checks
    report = evaluate(records, golds)
    shown = format_eval(report, show_mismatches=50)
    assert report.documents == real.documents and not report.missing, shown
    if real.min_aligned is None:
        assert (
            report.gold_events
            == report.predicted_events
            == report.aligned_events
            == real.gold_events
        ), shown
    else:
        assert report.gold_events == real.gold_events, shown
        assert report.aligned_events >= real.min_aligned, shown
    assert report.micro.f1 is not None and report.micro.f1 >= real.micro_f1, shown
    if real.micro_precision is not None:
        assert report.micro.precision is not None, shown
        assert report.micro.precision >= real.micro_precision, shown
    for name, score in report.fields.items():
        if score.support:
            assert score.f1 is not None and score.f1 >= real.field_f1, f"{name}\n{shown}"
