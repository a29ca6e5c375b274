"""The review page's data and file (the page in a browser: test_review_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import records_of

from extractor.cli import main
from extractor.records import Issue, Record
from extractor.review import (
    Comparison,
    build_documents,
    embed_json,
    render_page,
    write_review,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


def test_one_span_per_evidence_entry_and_each_slices_back(seed_results: Path) -> None:
    records = records_of(seed_results)
    docs = build_documents(records)
    for record, doc in zip(records, docs, strict=True):
        n_evidence = sum(len(e.evidence) for e in record.events)
        n_evidence += record.current_rating_evidence is not None
        assert n_evidence > 0
        assert len(doc["spans"]) == n_evidence
        assert doc["notes"] == []
        for span in doc["spans"]:
            assert doc["text"][span["start"] : span["end"]] == span["quote"]
            assert (span["from"], span["to"]) == (span["start"], span["end"])  # ASCII text
        # each evidenced value's cell points at a span of its own field and event
        for i, row in enumerate(doc["rows"]):
            for name, cell in row["cells"].items():
                if cell["span"] is not None:
                    span = doc["spans"][cell["span"]]
                    assert (span["event"], span["field"]) == (i, name)
                    assert cell["value"] == record.events[i].values()[name]


def test_the_text_is_the_text_offsets_refer_to(seed_results: Path) -> None:
    [doc, _] = build_documents(records_of(seed_results))
    assert doc["text"] == (SEEDS / "000_5a6e1a8d91a200b5.txt").read_text(encoding="utf-8")


def test_offsets_for_the_page_script_count_utf16_units(tmp_path: Path) -> None:
    page = tmp_path / "emoji.txt"
    page.write_text("\U0001f600 Inspection carried out on 1 May 2020\n", encoding="utf-8")
    start = 2
    end = page.read_text(encoding="utf-8").index("\n")
    record = Record.model_validate(
        {
            "source": str(page),
            "backend": "rules",
            "events": [
                {
                    "kind": "inspection",
                    "date": "2020-05-01",
                    "evidence": {
                        "date": {
                            "quote": "Inspection carried out on 1 May 2020",
                            "start": start,
                            "end": end,
                        }
                    },
                }
            ],
        }
    )
    [doc] = build_documents([record])
    [span] = doc["spans"]
    assert (span["from"], span["to"]) == (start + 1, end + 1)  # the emoji is two UTF-16 units


def test_issues_are_attached_to_the_value_they_concern(seed_results: Path) -> None:
    record = records_of(seed_results)[0]
    record.issues = [
        Issue(
            code="value_mismatch", severity="error", event=1, field="overall_rating", message="m1"
        ),
        Issue(code="x_event", severity="warning", event=2, field=None, message="m2"),
        Issue(code="x_page", severity="warning", event=None, field="current_rating", message="m3"),
    ]
    [doc] = build_documents([record])
    assert doc["rows"][1]["cells"]["overall_rating"]["issues"] == [0]
    assert doc["rows"][2]["cells"]["kind"]["issues"] == [1]
    assert doc["page"]["issues"] == [2]
    assert doc["counts"] == {"events": 3, "errors": 1, "warnings": 2, "disagreements": 0}
    assert doc["issue_fields"] == {
        "error": ["overall_rating"],
        "warning": ["current_rating", "kind"],
    }
    assert [i["message"] for i in doc["issues"]] == ["m1", "m2", "m3"]


def test_against_another_run_marks_each_differing_value_with_both_values(
    seed_results: Path,
) -> None:
    ours = records_of(seed_results)
    theirs = records_of(seed_results)
    theirs[0].events[1].overall_rating = "Outstanding"
    theirs[0].events[1].people_using_service = None
    del theirs[0].events[0]  # our first event has no partner in the other run
    docs = build_documents(ours, comparisons=[Comparison.of_run("other.jsonl", theirs)])
    cells = docs[0]["rows"][1]["cells"]
    assert cells["overall_rating"]["value"] == "Good"
    assert cells["overall_rating"]["diffs"] == [{"against": "other.jsonl", "value": "Outstanding"}]
    assert cells["people_using_service"]["diffs"] == [{"against": "other.jsonl", "value": None}]
    assert cells["date"]["diffs"] == []
    unpaired = docs[0]["rows"][0]
    assert unpaired["unpaired"] == ["other.jsonl"]
    assert unpaired["cells"]["kind"]["diffs"] == [{"against": "other.jsonl", "value": None}]
    assert docs[0]["counts"]["disagreements"] == 4  # kind and date of E1, two values of E2
    assert docs[0]["diff_fields"] == ["date", "kind", "overall_rating", "people_using_service"]
    assert docs[1]["counts"]["disagreements"] == 0


def test_an_event_only_the_other_side_has_gets_a_row_of_its_own(seed_results: Path) -> None:
    ours = records_of(seed_results)
    theirs = records_of(seed_results)
    del ours[1].events[1]
    [_, doc] = build_documents(ours, comparisons=[Comparison.of_run("b.jsonl", theirs)])
    assert len(doc["rows"]) == 2
    extra = doc["rows"][1]
    assert extra["missing"] and extra["label"] == "only in b.jsonl"
    assert extra["cells"]["date"] == {
        "value": None,
        "span": None,
        "issues": [],
        "diffs": [{"against": "b.jsonl", "value": "2018-06-28"}],
    }


def test_against_gold(seed_results: Path, tmp_path: Path) -> None:
    records = records_of(seed_results)
    out = tmp_path / "review.html"
    write_review(seed_results, out, gold_dir=SEEDS)
    data = embedded(out.read_text(encoding="utf-8"))
    assert [d["counts"]["disagreements"] for d in data["docs"]] == [0, 0]  # seeds equal gold
    records[1].events[0].previous_rating = "Good"
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    write_review(edited, out, gold_dir=SEEDS)
    data = embedded(out.read_text(encoding="utf-8"))
    assert data["docs"][1]["rows"][0]["cells"]["previous_rating"]["diffs"] == [
        {"against": "gold", "value": "Requires improvement"}
    ]
    assert data["meta"]["comparisons"] == ["gold"]


def test_a_source_that_cannot_be_read_leaves_a_note(seed_results: Path, tmp_path: Path) -> None:
    records = records_of(seed_results)
    records[0].source = str(tmp_path / "gone.txt")
    records[1].source = "nowhere/relative.txt"
    docs = build_documents(records, bases=[tmp_path])
    assert docs[0]["text"] is None
    assert docs[0]["notes"] == ["source cannot be read: no such file"]
    assert docs[1]["text"] is None
    assert docs[1]["notes"] == ["source not found: nowhere/relative.txt (try --base-dir)"]
    # the values and their quotes are still shown
    assert len(docs[0]["spans"]) == sum(len(e.evidence) for e in records[0].events)


def test_a_changed_source_is_noted(seed_results: Path) -> None:
    [record, _] = records_of(seed_results)
    record.sha256 = "0" * 64
    [doc] = build_documents([record])
    assert doc["notes"] == [
        "the source changed since it was extracted (sha256 differs): spans may be off"
    ]


def test_embedded_json_cannot_end_the_script_element() -> None:
    text = "a </script><script>alert(1)</script> & <!-- b -->"
    assert embed_json({"t": text}) == (
        '{"t":"a \\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e '
        '\\u0026 \\u003c!-- b --\\u003e"}'
    )
    assert json.loads(embed_json({"t": text})) == {"t": text}


def test_review_of_one_document_says_so(
    seed_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(seed_results.read_text().splitlines()[0] + "\n", encoding="utf-8")
    main(["review", str(one), "-o", str(tmp_path / "r.html")])
    assert capsys.readouterr().err.endswith(" kB, 1 document)\n")


def test_injected_markup_stays_inside_the_data(tmp_path: Path) -> None:
    page = tmp_path / "evil.txt"
    evil = (
        "Inspection carried out on 1 May 2020\n</script><script>window.__pwned=1</script>\n"
        '<img src=x onerror="window.__pwned=1">\n'
    )
    page.write_text(evil, encoding="utf-8")
    record = Record(source=str(page), backend="rules")
    html = render_page(build_documents([record]), {"title": "<b>t</b>", "parts": ["r.html"]})
    assert html.count("</script>") == 2  # the data's and the page script's own
    assert "<img" not in html and "<script>window" not in html
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in html
    assert embedded(html)["docs"][0]["text"] == evil


def test_the_page_loads_nothing_from_anywhere(seed_results: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    write_review(seed_results, out)
    html = out.read_text(encoding="utf-8")
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">" in html
    )
    page_without_data = re.sub(r'(id="data">).*?(</script>)', r"\1\2", html, flags=re.S)
    assert not re.search(r"https?:|//[a-z]|src=|@import|url\(", page_without_data, re.I)


def test_many_documents_are_written_in_linked_parts(seed_results: Path, tmp_path: Path) -> None:
    lines = seed_results.read_text().splitlines()
    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")  # six records
    parts = write_review(many, tmp_path / "out" / "review.html", per_page=4)
    assert [(p.path.name, p.documents) for p in parts] == [
        ("review.html", 4),
        ("review-2.html", 2),
    ]
    for n, part in enumerate(parts):
        assert part.size == part.path.stat().st_size
        meta = embedded(part.path.read_text(encoding="utf-8"))["meta"]
        assert meta["parts"] == ["review.html", "review-2.html"]
        assert (meta["part"], meta["first"], meta["total"]) == (n, 4 * n, 6)


def test_review_command_says_what_it_wrote(
    seed_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.html"
    main(["review", str(seed_results), "--gold", str(SEEDS), "-o", str(out)])  # no exit: 0
    size = out.stat().st_size
    err = capsys.readouterr().err
    assert err == f"cqc-extract: wrote {out} ({size / 1e3:.1f} kB, 2 documents)\n"


@pytest.mark.parametrize(
    "args",
    [
        ["review", "RESULTS"],  # no -o
        ["review", "RESULTS", "-o", "x.html", "--per-page", "0"],
        ["review", "missing.jsonl", "-o", "x.html"],
        ["review", "RESULTS", "-o", "x.html", "--gold", "no-such-dir"],
    ],
)
def test_review_usage_errors_exit_2(
    args: list[str], seed_results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [str(seed_results) if a == "RESULTS" else a for a in args]
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert not (tmp_path / "x.html").exists()


def test_an_invalid_results_file_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["review", str(bad), "-o", str(tmp_path / "r.html")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert (
        err.startswith(f"cqc-extract: error: {bad}:1: not a valid record") and err.count("\n") == 1
    )
