"""Judge the checker on any run against gold: the wrong ratings it flags, the right events it
alarms on. For the rules' own runs on every set, ``scripts/role_mutants.py`` prints the same
figures; this takes a results file, so a model's run is measured the same way.

Usage: ``.venv/bin/python scripts/checker_on_real.py RUN.jsonl GOLD_DIR [--misses]``
(e.g. ``cqc-extract extract tests/data/real2 -o /tmp/r2.jsonl -q`` then
``scripts/checker_on_real.py /tmp/r2.jsonl tests/data/real2``).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from extractor.checker import check_record
from extractor.evaluation import align_events
from extractor.loading import load_document
from extractor.records import Gold, Record

TODAY = dt.date(2030, 1, 1)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    show = "--misses" in sys.argv
    run, gold_dir = Path(args[0]), Path(args[1])
    wrong = flagged = correct = alarmed = 0
    rows: list[str] = []
    for line in run.read_text(encoding="utf-8").splitlines():
        record = Record.model_validate_json(line)
        source = Path(record.source)
        gold_path = gold_dir / f"{source.stem}.gold.json"
        if record.error is not None or not gold_path.exists():
            continue
        gold = Gold.model_validate_json(gold_path.read_text(encoding="utf-8"))
        text = load_document(source, source=source.name).text
        issues = check_record(record, text, today=TODAY)
        for i, j in align_events(record.events, gold.events):
            if i is None or j is None:
                continue
            event, g = record.events[i], gold.events[j]
            errors = [x for x in issues if x.event == i and x.severity == "error"]
            if event.values() == g.model_dump(mode="json"):
                correct += 1
                alarmed += bool(errors)
                if errors:
                    rows.append(
                        f"  ERROR on a right event: {source.name} event {i}: {errors[0].message[:120]}"
                    )
                continue
            for name in ("overall_rating", "previous_rating"):
                value = getattr(event, name)
                if value is None or value == getattr(g, name):
                    continue
                wrong += 1
                hit = [x.code for x in errors if x.field == name]
                flagged += bool(hit)
                rows.append(
                    f"  {'flagged' if hit else 'MISSED '} {source.name} event {i} {name} = {value} "
                    f"(gold {getattr(g, name)}) {','.join(hit)}"
                )
    print(f"wrong ratings flagged with an error: {flagged} of {wrong}")
    print(f"errors on gold-correct events: {alarmed} of {correct}")
    if show:
        print("\n".join(rows))


if __name__ == "__main__":
    main()
