"""Tests of extractor.evaluation: loading, alignment, scoring, comparing and formatting."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from extractor.errors import UsageError
from extractor.evaluation import (
    SCORED_FIELDS,
    align_events,
    compare,
    evaluate,
    format_compare,
    format_eval,
    load_gold_dir,
    load_records,
    match_gold,
)
from extractor.records import EVENT_FIELDS, ErrorInfo, Event, Gold, GoldEvent, Record

D1 = "2019-11-18"
D2 = "2018-10-31"
D3 = "2021-09-09"


def ev(kind: str = "inspection", date: str | None = D1, **values: Any) -> Event:
    return Event.model_validate({"kind": kind, "date": date, **values})


def gev(kind: str = "inspection", date: str | None = D1, **values: Any) -> GoldEvent:
    return GoldEvent.model_validate({"kind": kind, "date": date, **values})


def rec(source: str = "docs/0001.txt", events: list[Event] | None = None, **kw: Any) -> Record:
    return Record(source=source, backend="rules", events=events or [], **kw)


def gold(source: str = "0001.txt", events: list[GoldEvent] | None = None, **kw: Any) -> Gold:
    return Gold(source=source, events=events or [], **kw)


FULL: dict[str, Any] = {
    "overall_rating": "Good",
    "previous_rating": "Requires improvement",
    "previous_rating_published": "2018-11-27",
    "people_using_service": 39,
    "announced": True,
}


def counts(report: Any, name: str) -> tuple[int, int, int]:
    s = report.fields[name]
    return (s.tp, s.fp, s.fn)


# ---------------------------------------------------------------------------- loading


def test_load_records_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    a, b = rec("a.txt", [ev(**FULL)]), rec("b.txt")
    path.write_text(a.to_json() + "\n\n   \n" + b.to_json() + "\n", encoding="utf-8")
    assert load_records(path) == [a, b]


@pytest.mark.parametrize(
    "bad",
    ["{not json", '{"source": "x.txt"}', '{"source": "x.txt", "backend": "r", "bogus": 1}', "[1]"],
)
def test_load_records_bad_line_names_file_and_line(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(rec("a.txt").to_json() + "\n\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_records(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3: not a valid record: ")
    assert "\n" not in message


def test_load_records_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such results file"):
        load_records(tmp_path / "nope.jsonl")


def test_load_gold_dir(tmp_path: Path) -> None:
    (tmp_path / "0001.gold.json").write_text(
        gold("0001.txt", [gev(**FULL)]).model_dump_json(), encoding="utf-8"
    )
    (tmp_path / "other.json").write_text(json.dumps({"source": "0002.html"}), encoding="utf-8")
    (tmp_path / "readme.txt").write_text("not gold", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "0003.gold.json").write_text(json.dumps({"source": "0003.txt"}))
    loaded = load_gold_dir(tmp_path)
    assert sorted(loaded) == ["0001.txt", "0002.html"]
    assert loaded["0001.txt"].events[0].people_using_service == 39
    assert loaded["0002.html"].events == []


def test_load_gold_dir_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such gold directory"):
        load_gold_dir(tmp_path / "missing")
    (tmp_path / "bad.gold.json").write_text('{"events": []}', encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.gold\.json: not a valid gold file: source"):
        load_gold_dir(tmp_path)
    (tmp_path / "bad.gold.json").write_text('{"source": "a/0001.txt"}', encoding="utf-8")
    (tmp_path / "dup.json").write_text('{"source": "0001.txt"}', encoding="utf-8")
    with pytest.raises(UsageError, match="already given"):
        load_gold_dir(tmp_path)


def test_match_gold_by_name_then_stem() -> None:
    g = {"0001.txt": gold("0001.txt"), "0002.html": gold("0002.html")}
    assert match_gold("some/dir/0001.txt", g) == "0001.txt"
    assert match_gold("0001.html", g) == "0001.txt"
    assert match_gold("x/0002.gold.json", g) == "0002.html"
    assert match_gold("0003.txt", g) is None
    twins = {"0001.txt": gold("0001.txt"), "0001.html": gold("0001.html")}
    assert match_gold("0001.md", twins) is None  # an ambiguous stem matches nothing
    assert match_gold("0001.html", twins) == "0001.html"


# -------------------------------------------------------------------------- alignment


def test_align_identical() -> None:
    events = [gev("review", D3), gev("inspection", D1), gev("inspection", D2)]
    assert align_events(events, events) == [(0, 0), (1, 1), (2, 2)]


def test_align_by_kind_and_date_survives_reordering() -> None:
    pred = [ev("inspection", D2), ev("review", D3), ev("inspection", D1)]
    gold_events = [gev("review", D3), gev("inspection", D1), gev("inspection", D2)]
    assert align_events(pred, gold_events) == [(1, 0), (2, 1), (0, 2)]


def test_align_leftovers_in_order_regardless_of_kind() -> None:
    # Pred 1 matches gold 2 by kind+date; the leftovers pair in order: (0, 0), (2, 1).
    pred = [ev("review", None), ev("inspection", D2), ev("inspection", "2015-01-01")]
    gold_events = [gev("inspection", D1), gev("assessment", D3), gev("inspection", D2)]
    assert align_events(pred, gold_events) == [(0, 0), (2, 1), (1, 2)]


def test_align_null_dates_do_not_match_in_first_pass() -> None:
    pred = [ev("inspection", D1), ev("inspection", None)]
    gold_events = [gev("inspection", None), gev("inspection", D1)]
    assert align_events(pred, gold_events) == [(1, 0), (0, 1)]


def test_align_same_date_different_kind_is_leftover() -> None:
    pred = [ev("review", D1)]
    gold_events = [gev("inspection", D2), gev("inspection", D1)]
    # No first-pass match; leftovers pair in order: pred 0 with gold 0, gold 1 unpaired.
    assert align_events(pred, gold_events) == [(0, 0), (None, 1)]


def test_align_unpaired_sides() -> None:
    assert align_events([ev(), ev("review", D3)], [gev()]) == [(0, 0), (1, None)]
    assert align_events([], [gev(), gev("review", D3)]) == [(None, 0), (None, 1)]
    assert align_events([], []) == []


# ---------------------------------------------------------------------------- scoring


def test_perfect_prediction() -> None:
    g = gold("0001.txt", [gev(**FULL), gev("review", D3)], current_rating="Good")
    r = rec("run/0001.txt", [ev(**FULL), ev("review", D3)], current_rating="Good")
    report = evaluate([r], {"0001.txt": g})
    assert report.documents == 1
    assert report.mismatches == []
    supports = {name: s.support for name, s in report.fields.items()}
    assert supports == {
        "kind": 2,
        "date": 2,
        "overall_rating": 1,
        "previous_rating": 1,
        "previous_rating_published": 1,
        "people_using_service": 1,
        "announced": 1,
        "current_rating": 1,
    }
    for s in report.fields.values():
        assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    micro = report.micro
    assert (micro.tp, micro.fp, micro.fn, micro.f1) == (10, 0, 0, 1.0)
    assert (report.gold_events, report.predicted_events, report.aligned_events) == (2, 2, 2)


def test_field_with_no_support_and_no_fp_is_undefined() -> None:
    report = evaluate([rec("0001.txt", [ev()])], {"0001.txt": gold("0001.txt", [gev()])})
    s = report.fields["announced"]
    assert (s.tp, s.fp, s.fn, s.support) == (0, 0, 0, 0)
    assert (s.precision, s.recall, s.f1) == (None, None, None)
    d = report.to_dict()["fields"]["announced"]
    assert d == {
        "tp": 0,
        "fp": 0,
        "fn": 0,
        "support": 0,
        "precision": None,
        "recall": None,
        "f1": None,
    }


def test_wrong_rating_is_one_fp_and_one_fn() -> None:
    g = gold("0001.txt", [gev(**FULL)])
    r = rec("0001.txt", [ev(**{**FULL, "overall_rating": "Inadequate"})])
    report = evaluate([r], {"0001.txt": g})
    assert counts(report, "overall_rating") == (0, 1, 1)
    s = report.fields["overall_rating"]
    assert (s.support, s.precision, s.recall, s.f1) == (1, 0.0, 0.0, 0.0)
    for name in ("kind", "date", "previous_rating", "people_using_service", "announced"):
        assert counts(report, name) == (1, 0, 0)
    assert [m.to_dict() for m in report.mismatches] == [
        {
            "source": "0001.txt",
            "pred_event": 0,
            "gold_event": 0,
            "field": "overall_rating",
            "predicted": "Inadequate",
            "gold": "Good",
            "type": "wrong",
        }
    ]
    micro = report.micro
    assert (micro.tp, micro.fp, micro.fn) == (6, 1, 1)
    assert micro.precision == pytest.approx(6 / 7)
    assert micro.f1 == pytest.approx(6 / 7)


def test_spurious_and_missed_values() -> None:
    g = gold("0001.txt", [gev(overall_rating="Good")])
    r = rec("0001.txt", [ev(announced=False)], current_rating="Good")
    report = evaluate([r], {"0001.txt": g})
    assert counts(report, "announced") == (0, 1, 0)
    assert counts(report, "overall_rating") == (0, 0, 1)
    assert counts(report, "current_rating") == (0, 1, 0)
    s = report.fields["announced"]
    assert (s.support, s.precision, s.recall, s.f1) == (0, 0.0, 0.0, 0.0)
    assert [
        (m.field, m.pred_event, m.gold_event, m.predicted, m.gold, m.type)
        for m in report.mismatches
    ] == [
        ("current_rating", None, None, "Good", None, "spurious"),
        ("overall_rating", 0, 0, None, "Good", "missed"),
        ("announced", 0, 0, False, None, "spurious"),
    ]


def test_extra_predicted_event_counts_false_positives() -> None:
    g = gold("0001.txt", [gev(**FULL)])
    extra = ev("review", D3, people_using_service=10)
    report = evaluate([rec("0001.txt", [ev(**FULL), extra])], {"0001.txt": g})
    assert counts(report, "kind") == (1, 1, 0)
    assert counts(report, "date") == (1, 1, 0)
    assert counts(report, "people_using_service") == (1, 1, 0)
    assert counts(report, "overall_rating") == (1, 0, 0)
    assert (report.gold_events, report.predicted_events, report.aligned_events) == (1, 2, 1)
    assert [(m.pred_event, m.gold_event, m.field, m.predicted) for m in report.mismatches] == [
        (1, None, "kind", "review"),
        (1, None, "date", D3),
        (1, None, "people_using_service", 10),
    ]
    assert report.fields["kind"].precision == 0.5
    assert report.fields["kind"].recall == 1.0


def test_missing_event_counts_false_negatives() -> None:
    g = gold("0001.txt", [gev("review", D3), gev(**FULL)])
    report = evaluate([rec("0001.txt", [ev(**FULL)])], {"0001.txt": g})
    assert counts(report, "kind") == (1, 0, 1)
    assert counts(report, "date") == (1, 0, 1)
    assert counts(report, "overall_rating") == (1, 0, 0)
    assert {(m.pred_event, m.gold_event, m.type) for m in report.mismatches} == {
        (None, 0, "missed")
    }
    assert len(report.mismatches) == 2
    assert report.fields["kind"].recall == 0.5


def test_reordered_events_score_perfectly() -> None:
    g = gold("0001.txt", [gev("review", D3), gev(**FULL), gev("inspection", D2, announced=True)])
    r = rec("0001.txt", [ev("inspection", D2, announced=True), ev(**FULL), ev("review", D3)])
    report = evaluate([r], {"0001.txt": g})
    assert report.mismatches == []
    assert report.micro.f1 == 1.0


def test_leftover_pairing_scores_kind_mismatch() -> None:
    # The date was wrong and the kind too: the leftover pass still pairs them.
    g = gold("0001.txt", [gev("inspection", D1, overall_rating="Good")])
    r = rec("0001.txt", [ev("review", D2, overall_rating="Good")])
    report = evaluate([r], {"0001.txt": g})
    assert report.aligned_events == 1
    assert counts(report, "kind") == (0, 1, 1)
    assert counts(report, "date") == (0, 1, 1)
    assert counts(report, "overall_rating") == (1, 0, 0)


def test_unmatched_records_and_missing_gold() -> None:
    golds = {
        "0001.txt": gold("0001.txt", [gev(**FULL)]),
        "0002.txt": gold("0002.txt", [gev(), gev("review", D3)], current_rating="Good"),
    }
    records = [rec("x/0001.txt", [ev(**FULL)]), rec("x/9999.txt", [ev(**FULL)])]
    report = evaluate(records, golds)
    assert report.documents == 1
    assert report.missing == ["0002.txt"]
    assert report.unmatched_records == ["x/9999.txt"]
    assert counts(report, "kind") == (1, 0, 2)
    assert counts(report, "date") == (1, 0, 2)
    assert counts(report, "current_rating") == (0, 0, 1)
    assert counts(report, "overall_rating") == (1, 0, 0)
    assert (report.gold_events, report.predicted_events, report.aligned_events) == (3, 1, 1)
    d = report.to_dict()
    assert (d["documents"], d["missing"], d["unmatched_records"]) == (1, 1, 1)
    assert d["missing_sources"] == ["0002.txt"]
    assert d["unmatched_sources"] == ["x/9999.txt"]


def test_record_with_error_scores_as_nothing_found() -> None:
    g = {"0001.txt": gold("0001.txt", [gev(overall_rating="Good")])}
    r = rec("0001.txt", error=ErrorInfo(type="TransportError", message="down"))
    report = evaluate([r], g)
    assert report.errors == 1
    assert counts(report, "overall_rating") == (0, 0, 1)


def test_last_duplicate_record_wins() -> None:
    g = {"0001.txt": gold("0001.txt", [gev(overall_rating="Good")])}
    failed = rec("0001.txt", error=ErrorInfo(type="TransportError", message="down"))
    retried = rec("0001.txt", [ev(overall_rating="Good")])
    report = evaluate([failed, retried], g)
    assert report.duplicate_records == 1
    assert report.documents == 1
    assert report.micro.f1 == 1.0


def test_dates_compare_as_dates() -> None:
    g = gold("0001.txt", [GoldEvent(kind="inspection", date=dt.date(2019, 11, 18))])
    report = evaluate([rec("0001.txt", [ev("inspection", "2019-11-18")])], {"0001.txt": g})
    assert counts(report, "date") == (1, 0, 0)


def test_eval_to_dict_is_json_and_has_stable_keys() -> None:
    g = gold("0001.txt", [gev(**FULL)])
    r = rec("0001.txt", [ev(**{**FULL, "previous_rating_published": "2018-11-28"})])
    d = evaluate([r], {"0001.txt": g}).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert {
        "fields",
        "micro",
        "documents",
        "missing",
        "unmatched_records",
        "events",
        "mismatches",
    } <= set(d)
    assert list(d["fields"]) == list(SCORED_FIELDS)
    assert set(d["fields"]["date"]) == {"tp", "fp", "fn", "support", "precision", "recall", "f1"}
    assert d["events"] == {"gold": 1, "predicted": 1, "aligned": 1}
    assert d["mismatches"][0]["predicted"] == "2018-11-28"
    assert d["mismatches"][0]["gold"] == "2018-11-27"


def test_scored_fields_follow_the_model() -> None:
    assert ("kind", *EVENT_FIELDS, "current_rating") == SCORED_FIELDS


def test_format_eval() -> None:
    g = gold("0001.txt", [gev(**FULL)])
    r = rec("0001.txt", [ev(**{**FULL, "overall_rating": "Inadequate"})])
    text = format_eval(evaluate([r], {"0001.txt": g}))
    for name in SCORED_FIELDS:
        assert name in text
    assert "micro" in text
    lines = text.splitlines()
    kind_line = next(line for line in lines if line.startswith("kind "))
    assert kind_line.split()[-3:] == ["1.000", "1.000", "1.000"]
    rating_line = next(line for line in lines if line.startswith("overall_rating "))
    assert rating_line.split()[1:] == ["1", "0", "1", "1", "0.000", "0.000", "0.000"]
    announced = next(line for line in lines if line.startswith("announced "))
    assert announced.split()[-3:] == ["1.000", "1.000", "1.000"]
    current = next(line for line in lines if line.startswith("current_rating "))
    assert current.split()[-3:] == ["-", "-", "-"]
    micro_line = next(line for line in lines if line.startswith("micro "))
    assert micro_line.split()[-1] == "0.857"
    mismatch = next(line for line in lines if "predicted=" in line)
    assert mismatch.split() == [
        "0001.txt",
        "p0:g0",
        "overall_rating",
        'predicted="Inadequate"',
        'gold="Good"',
    ]


def test_format_eval_limits_mismatches() -> None:
    g = gold("0001.txt", [gev(**FULL)])
    report = evaluate([rec("0001.txt")], {"0001.txt": g})
    assert len(report.mismatches) == 7
    text = format_eval(report, show_mismatches=2)
    assert sum("predicted=" in line for line in text.splitlines()) == 2
    assert "... and 5 more" in text
    assert "predicted=" not in format_eval(report, show_mismatches=0)


# ---------------------------------------------------------------------------- compare


def test_compare_counts_without_gold() -> None:
    a = rec(
        "a/0001.txt",
        [ev(overall_rating="Good", people_using_service=39, announced=True), ev("review", D3)],
        current_rating="Good",
    )
    b = rec(
        "b/0001.txt",
        [ev(overall_rating="Inadequate", people_using_service=39, previous_rating="Good")],
        current_rating="Good",
    )
    report = compare([a], [b], names=("openai", "rules"))
    f = report.fields
    assert (f["kind"].agree, f["kind"].only_a) == (1, 1)
    assert (f["date"].agree, f["date"].only_a) == (1, 1)
    assert f["overall_rating"].differ == 1
    assert f["people_using_service"].agree == 1
    assert f["announced"].only_a == 1
    assert f["previous_rating"].only_b == 1
    assert f["previous_rating_published"].both_null == 1
    assert f["current_rating"].agree == 1
    assert f["overall_rating"].a_right is None
    assert (report.documents, report.aligned_events, report.unpaired_a, report.unpaired_b) == (
        1,
        1,
        1,
        0,
    )
    assert [(d.field, d.a_event, d.b_event, d.a, d.b) for d in report.disagreements] == [
        ("overall_rating", 0, 0, "Good", "Inadequate"),
        ("previous_rating", 0, 0, None, "Good"),
        ("announced", 0, 0, True, None),
        ("kind", 1, None, "review", None),
        ("date", 1, None, D3, None),
    ]
    t = report.totals
    assert (t.agree, t.differ, t.only_a, t.only_b) == (4, 1, 3, 1)
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["names"] == ["openai", "rules"]
    assert d["fields"]["overall_rating"]["differ"] == 1


def test_compare_pairs_by_sha_then_name() -> None:
    a = [
        rec("x/one.txt", sha256="1" * 64),
        rec("x/two.txt"),
        rec("x/three.txt", sha256="3" * 64),
        rec("x/only_a.txt"),
    ]
    b = [
        rec("renamed.txt", sha256="1" * 64),
        rec("y/two.txt", sha256="2" * 64),
        rec("y/three.txt", sha256="f" * 64),  # same name, different content: not paired
        rec("y/only_b.txt"),
    ]
    report = compare(a, b)
    assert report.documents == 2
    assert sorted(report.only_in_a) == ["x/only_a.txt", "x/three.txt"]
    assert sorted(report.only_in_b) == ["y/only_b.txt", "y/three.txt"]
    assert report.to_dict()["only_in_a"] == 2


def test_compare_with_gold_who_was_right() -> None:
    g = {
        "0001.txt": gold(
            "0001.txt",
            [gev(overall_rating="Good", people_using_service=39), gev("review", D3)],
            current_rating="Good",
        )
    }
    a = rec(
        "0001.txt",
        [ev(overall_rating="Good", people_using_service=40), ev("review", D3)],
        current_rating="Good",
    )
    b = rec(
        "0001.txt",
        [ev(overall_rating="Inadequate", people_using_service=41, announced=True)],
        current_rating=None,
    )
    report = compare([a], [b], g, names=("A", "B"))
    f = report.fields
    assert (
        f["overall_rating"].differ,
        f["overall_rating"].a_right,
        f["overall_rating"].b_right,
    ) == (1, 1, 0)
    assert (f["people_using_service"].differ, f["people_using_service"].neither) == (1, 1)
    assert (f["announced"].only_b, f["announced"].a_right, f["announced"].b_right) == (1, 1, 0)
    assert (f["current_rating"].only_a, f["current_rating"].a_right) == (1, 1)
    # A's extra review event is in gold: A right on kind and date.
    assert (f["kind"].only_a, f["kind"].a_right, f["kind"].b_right) == (1, 1, 0)
    assert (f["date"].only_a, f["date"].a_right) == (1, 1)
    t = report.totals
    assert (t.a_right, t.b_right, t.neither) == (5, 0, 1)
    assert report.judged == 6
    assert report.better == "A"
    dis = {d.field: d for d in report.disagreements if d.a_event == 0}
    assert (dis["overall_rating"].gold_a, dis["overall_rating"].gold_b) == ("Good", "Good")
    assert dis["announced"].gold_a is None
    assert (dis["announced"].a_right, dis["announced"].b_right) == (True, False)
    assert report.to_dict()["better"] == "A"


def test_compare_with_gold_b_right_on_extra_event() -> None:
    g = {"0001.txt": gold("0001.txt", [gev()])}
    a = rec("0001.txt", [ev(), ev("review", D3)])  # the review is not in gold
    b = rec("0001.txt", [ev()])
    report = compare([a], [b], g, names=("llm", "rules"))
    assert (report.fields["kind"].only_a, report.fields["kind"].b_right) == (1, 1)
    assert (report.totals.a_right, report.totals.b_right) == (0, 2)
    assert report.better == "rules"


def test_compare_document_without_gold_is_not_judged() -> None:
    g = {"0002.txt": gold("0002.txt", [gev()])}
    a = rec("0001.txt", [ev(overall_rating="Good")])
    b = rec("0001.txt", [ev()])
    report = compare([a], [b], g)
    assert report.documents_with_gold == 0
    assert report.fields["overall_rating"].only_a == 1
    assert report.fields["overall_rating"].a_right == 0
    assert report.disagreements[0].a_right is None
    assert report.judged == 0
    assert report.better is None
    assert "no disagreement could be judged" in format_compare(report)


def test_format_compare() -> None:
    g = {"0001.txt": gold("0001.txt", [gev(overall_rating="Good")])}
    a = rec("0001.txt", [ev(overall_rating="Good")])
    b = rec("0001.txt", [ev(overall_rating="Inadequate")])
    text = format_compare(compare([a], [b], g, names=("openai", "rules")))
    for name in (*SCORED_FIELDS, "agree", "differ", "only_openai", "only_rules", "openai_right"):
        assert name in text
    assert "verdict: openai was right more often" in text
    line = next(x for x in text.splitlines() if x.startswith("overall_rating "))
    # agree, both_null, differ, only_A, only_B, A_right, B_right, neither
    assert line.split()[1:] == ["0", "0", "1", "0", "0", "1", "0", "0"]
    dis = next(x for x in text.splitlines() if 'openai="Good"' in x)
    assert dis.split() == [
        "0001.txt",
        "a0:b0",
        "overall_rating",
        'openai="Good"',
        'rules="Inadequate"',
        'gold="Good"',
    ]
    plain = format_compare(compare([a], [b]))
    assert "openai_right" not in plain and "A_right" not in plain
    assert "verdict" not in plain
