"""Generated files are checked, not trusted: schemas/ must match the models, the public API its list."""

from __future__ import annotations

import json
from pathlib import Path

import extractor
from extractor.records import Record, render_json_schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_the_models() -> None:
    on_disk = (ROOT / "schemas" / "record.schema.json").read_text(encoding="utf-8")
    assert on_disk == render_json_schema(), "schemas/ is stale: run `make schema` and commit it"


def test_schema_describes_the_contract_fields() -> None:
    schema = json.loads(render_json_schema())
    assert set(schema["properties"]) == {
        "source", "sha256", "backend", "model", "prompt", "schema_version", "current_rating",
        "current_rating_evidence", "events", "issues", "error", "usage", "cached", "cached_usage",
    }  # fmt: skip
    evidence = schema["$defs"]["Evidence"]["properties"]
    assert set(evidence) == {"quote", "start", "end", "match"}
    assert evidence["match"]["anyOf"][0]["enum"] == ["exact", "normalized", "elided"]
    event = schema["$defs"]["Event"]["properties"]
    assert set(event) == {
        "kind", "date", "overall_rating", "previous_rating", "previous_rating_published",
        "people_using_service", "announced", "evidence",
    }  # fmt: skip


def test_a_record_round_trips_through_json() -> None:
    line = (
        '{"source":"a.txt","sha256":"00","backend":"rules","model":null,"prompt":null,"schema_version":1,'
        '"current_rating":"Good","current_rating_evidence":{"quote":"Overall: Good","start":0,"end":13},'
        '"events":[{"kind":"inspection","date":"2019-11-18","overall_rating":null,"previous_rating":null,'
        '"previous_rating_published":null,"people_using_service":39,"announced":true,"evidence":{}}],'
        '"issues":[],"error":null,"usage":{"requests":0,"prompt_tokens":0,"completion_tokens":0},"cached":false}'
    )
    assert Record.from_json(line).to_json() == line


def test_public_api_is_sorted_and_complete() -> None:
    names = extractor.__all__
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    for name in names:
        assert hasattr(extractor, name), name
    public = {
        n
        for n in vars(extractor)
        if not n.startswith("_") and not isinstance(getattr(extractor, n), type(extractor))
    }
    lazy = set(extractor._LAZY)  # imported on first use, so rules users never import openai
    assert public - {"annotations"} == set(names) - {"__version__"} - lazy
