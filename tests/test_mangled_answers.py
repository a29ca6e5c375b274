"""Answers written the way real models write them lose no page, keep the values, cost no re-asks.

The stub answers every page of the development sample (``tests/data/corpus``) with the rules'
reading, rewritten by :mod:`mangler` in the styles models commonly use (dates in a dozen
formats, counts as words or strings, booleans as "Yes" or 1, ratings in any case, nulls as
"N/A" or missing keys, keys in other cases, extra keys, ``{"value", "quote"}`` pairs, quotes
cut with "...", curly quote marks, collapsed white space, JSON in a code fence after prose).
The same answers written perfectly are the baseline: no page may be lost, at least 99 % of
the values must be kept, and the requests may be at most 1.1 times the baseline's.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from mangler import mangle
from stub_server import rules_answer, running_stub

from extractor.llm.online import OpenAIBackend
from extractor.llm.prompting import document_in_messages
from extractor.pipeline import run_extraction
from extractor.records import EVENT_FIELDS, Record

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _perfect(request: dict[str, Any]) -> dict[str, Any]:
    return rules_answer(document_in_messages(request["messages"]) or "")


def _mangled(request: dict[str, Any]) -> str:
    text = document_in_messages(request["messages"]) or ""
    # a re-ask (a longer conversation) is answered in another style
    seed = hashlib.sha256(f"{len(request['messages'])}:{text}".encode()).hexdigest()
    return mangle(rules_answer(text), random.Random(seed))


def _run(responder: Any, mode: str) -> tuple[list[Record], int]:
    paths = sorted(CORPUS.glob("*.txt"))
    records: list[Record] = []
    with running_stub(responder=responder) as stub:
        with OpenAIBackend(model="m", base_url=stub.base_url, mode=mode, no_cache=True) as engine:
            run_extraction(paths, engine, records.append, concurrency=8)
        requests = len(stub.chat_requests())
    assert not stub.errors
    records.sort(key=lambda r: r.source)
    return records, requests


def _values(record: Record) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [("page", "current_rating", record.current_rating)]
    for i, event in enumerate(record.events):
        out.append((i, "kind", event.kind))
        out.extend((i, name, getattr(event, name)) for name in EVENT_FIELDS)
    return [v for v in out if v[2] is not None]


@pytest.mark.parametrize("mode", ["tools", "json"])
def test_mangled_answers_lose_no_page_keep_the_values_and_cost_no_reasks(mode: str) -> None:
    perfect, perfect_requests = _run(_perfect, mode)
    mangled, mangled_requests = _run(_mangled, mode)
    assert len(mangled) == len(perfect) == len(list(CORPUS.glob("*.txt")))
    lost = [r.source for r in mangled if r.error is not None]
    assert lost == []
    wanted = kept = 0
    for good, got in zip(perfect, mangled, strict=True):
        assert good.source == got.source
        expected = _values(good)
        have = set(_values(got))
        wanted += len(expected)
        kept += sum(v in have for v in expected)
    print(
        f"{mode}: {len(mangled)} pages, 0 lost; {kept}/{wanted} values kept "
        f"({kept / wanted:.2%}); requests {mangled_requests} vs {perfect_requests} "
        f"({mangled_requests / perfect_requests:.2f}x)"
    )
    assert kept / wanted >= 0.99
    assert mangled_requests <= 1.1 * perfect_requests
    # every evidence still slices back to its quote, and says how it was matched
    for record in mangled:
        text = (CORPUS / Path(record.source).name).read_text(encoding="utf-8")
        for event in record.events:
            for ev in event.evidence.values():
                assert text[ev.start : ev.end] == ev.quote
                assert ev.match in ("exact", "normalized", "elided")
