"""Re-record every cassette of ``tests/test_cassettes.py`` (``make record``).

Against a real server when ``OPENAI_API_KEY`` is set: the model from ``--model`` or
``$CQC_EXTRACT_MODEL``, the server from ``$OPENAI_BASE_URL`` (else OpenAI). Otherwise against
the local stub server (``tests/stub_server.py``), whose answers are the rules backend's reading
of the page put in the model's answer schema, and whose reported model name says it is a stub.
Cases that need scripted faults (a re-ask) are only recorded against the stub.

The recording configuration (headers filtered, bodies decoded, matching on method, path and
body) is the one the tests replay with: it is imported from ``tests/test_cassettes.py``.
Prints what it did, case by case, and whether each record still equals its gold file.

A cassette is replaced only by a recording that completed: each is recorded into a temporary
file beside it, moved into place when the run gave a record without error, and thrown away
otherwise (no server, a refused key...), so a failed ``make record`` leaves the committed
cassettes as they were, and exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_cassettes as cases  # noqa: E402
from stub_server import Fault, StubServer, rules_answer  # noqa: E402

from extractor.llm.prompting import document_in_messages  # noqa: E402

STUB_MODEL = "stub-rules"


def stub_responder(request: dict[str, Any]) -> dict[str, Any]:
    """A perfect model: the rules backend's reading of the page in the request."""
    text = document_in_messages(request.get("messages"))
    if text is None:
        raise ValueError("no document in the request")
    return rules_answer(text)


def fabricated(case: cases.Case) -> dict[str, Any]:
    """The right answer for a case's page, but with one quote the page does not contain."""
    text = (cases.SEEDS / f"{case.seed}.txt").read_text(encoding="utf-8")
    answer = rules_answer(text)
    answer["events"][1]["overall_rating_quote"] = "The service was rated good in every area."
    return answer


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def record_case(case: cases.Case, *, base_url: str, model: str, api_key: str | None) -> str:
    """Record one case and replace its cassette with the recording, if it completed; a line
    saying what happened (``KEPT`` when the old cassette was left in place)."""
    case.cassette.parent.mkdir(parents=True, exist_ok=True)
    recording = case.cassette.with_name(f".{case.cassette.stem}.recording.yaml")
    recording.unlink(missing_ok=True)
    try:
        with cases.vcr_config("all").use_cassette(str(recording)) as cassette:
            record = cases.run_case(case, base_url=base_url, model=model, api_key=api_key)
    except Exception as err:  # whatever stopped it, the old cassette stays
        recording.unlink(missing_ok=True)
        return f"{_shown(case.cassette)}: KEPT, the recording failed ({type(err).__name__}: {err})"
    if record.error is not None or not cassette.data or not recording.exists():
        recording.unlink(missing_ok=True)
        why = record.error.message if record.error is not None else "nothing was recorded"
        return f"{_shown(case.cassette)}: KEPT, the recording failed ({why})"
    os.replace(recording, case.cassette)
    current, events = cases.gold_events(case.seed)
    agrees = record.error is None and [e.values() for e in record.events] == events
    agrees = agrees and record.current_rating == current
    status = "equals gold" if agrees else "DIFFERS FROM GOLD"
    error = f", error: {record.error.message}" if record.error else ""
    return (
        f"{_shown(case.cassette)}: {len(cassette.data)} requests, model "
        f"{record.model!r}, {record.usage.prompt_tokens} prompt tokens, {status}{error}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model for a real server (default $CQC_EXTRACT_MODEL)")
    parser.add_argument("--only", action="append", help="record only this case (test name)")
    args = parser.parse_args(argv)
    selected = [c for n, c in cases.CASES.items() if not args.only or n in args.only]
    api_key = os.environ.get("OPENAI_API_KEY")
    failures = 0
    if api_key:
        model = args.model or os.environ.get("CQC_EXTRACT_MODEL")
        if not model:
            print("record.py: OPENAI_API_KEY is set: pass --model or set CQC_EXTRACT_MODEL")
            return 2
        base_url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        print(f"recording against {base_url} with model {model!r} (OPENAI_API_KEY is set)")
        for case in selected:
            if case.stub_only:
                print(f"{_shown(case.cassette)}: kept (needs scripted stub faults)")
                continue
            line = record_case(case, base_url=base_url, model=model, api_key=api_key)
            failures += "DIFFERS" in line or "KEPT" in line
            print(line)
        return 1 if failures else 0
    print("recording against the local stub server (OPENAI_API_KEY is not set)")
    for case in selected:
        with StubServer(responder=stub_responder) as stub:
            if case.stub_only:
                stub.enqueue(Fault.answer(fabricated(case)))
            line = record_case(case, base_url=stub.base_url, model=STUB_MODEL, api_key=None)
            if stub.errors:
                line += f" (stub errors: {stub.errors})"
                failures += 1
        failures += "DIFFERS" in line or "KEPT" in line
        print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
