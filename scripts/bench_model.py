"""Benchmark the model path against the local stub server: overlap, cache, prompt size.

    python scripts/bench_model.py [--docs 100] [--concurrency 8] [--latency 0.5]

Starts the stub (``tests/stub_server.py``) answering after a fixed latency, writes ``--docs``
documents (the seed pages, each with a unique last line so each has its own hash), and runs
them through the library (:func:`extractor.pipeline.run_extraction`) with the ``openai``
backend and a fresh cache: first cold (every document asks the server), then again (every
document served from the cache). Prints figures; asserts nothing about timing.

The ideal cold time is ``docs x latency / concurrency``: the server's latency, perfectly
overlapped. The ratio of the wall time to it shows what the client side costs per page
(target 1.1 or less at 0.5 s latency and concurrency 8).

Start-up: the fixed cost of a model run, measured as the CLI would be used (a new process:
``cqc-extract extract ONE_PAGE --backend openai --no-cache``) against the stub answering at
once: interpreter, imports, the first request, writing, exiting. Best of five (target 2.0 s).
"""

from __future__ import annotations

import argparse
import functools
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from stub_server import StubServer, rules_answer  # noqa: E402

from extractor.llm.online import OpenAIBackend  # noqa: E402
from extractor.llm.prompting import document_in_messages  # noqa: E402
from extractor.pipeline import run_extraction  # noqa: E402
from extractor.records import Record  # noqa: E402

_MARK = "\n\nBenchmark copy "


@functools.cache
def _answer(seed_text: str) -> dict[str, Any]:
    return rules_answer(seed_text)


def responder(request: dict[str, Any]) -> dict[str, Any]:
    """The rules' reading of the page, computed once per seed page."""
    text = document_in_messages(request.get("messages")) or ""
    return _answer(text.split(_MARK, 1)[0])


def write_documents(where: Path, count: int) -> list[Path]:
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    paths = []
    for n in range(count):
        seed = seeds[n % len(seeds)]
        path = where / f"doc{n:04d}.txt"
        text = seed.read_text(encoding="utf-8")
        path.write_text(f"{text}{_MARK}{n}.\n", encoding="utf-8")
        paths.append(path)
    return paths


class _StubProcess:
    """The stub in a process of its own, as a server would be: its work is not the client's,
    and it does not share the client's interpreter lock."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--latency", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()

    def chat_requests(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def serve(latency: float) -> None:
    with StubServer(responder=responder, latency=latency) as stub:
        print(stub.base_url, flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(len(stub.chat_requests()), flush=True)


def run(
    paths: list[Path], stub: _StubProcess, cache: Path, concurrency: int
) -> tuple[float, list[Record], int]:
    records: list[Record] = []
    before = stub.chat_requests()
    with OpenAIBackend(model="bench", base_url=stub.base_url, cache_dir=cache) as engine:
        started = time.perf_counter()
        run_extraction(paths, engine, records.append, concurrency=concurrency)
        elapsed = time.perf_counter() - started
    return elapsed, records, stub.chat_requests() - before


def startup(stub: _StubProcess, page: Path, runs: int = 5) -> float:
    """Wall seconds of a whole model run of one page in a new process (best of ``runs``)."""
    argv = [sys.executable, "-m", "extractor", "extract", str(page), "--backend", "openai"]
    argv += ["--model", "bench", "--base-url", stub.base_url, "--no-cache", "-q"]
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.latency)
        return 0
    with tempfile.TemporaryDirectory(prefix="cqc-bench-") as tmp:
        where = Path(tmp)
        paths = write_documents(where, args.docs)
        instant = _StubProcess(0.0)
        try:
            fixed = startup(instant, paths[0])
        finally:
            instant.close()
        stub = _StubProcess(args.latency)
        try:
            cold, records, requests = run(paths, stub, where / "cache", args.concurrency)
            # Served from the cache: the best of three runs (a tenth of a second each is at the
            # mercy of the machine's other work).
            warm, again, warm_requests = min(
                (run(paths, stub, where / "cache", args.concurrency) for _ in range(3)),
                key=lambda result: result[0],
            )
        finally:
            stub.close()
    ideal = args.docs * args.latency / args.concurrency
    errors = sum(r.error is not None for r in records)
    prompt_tokens = sum(r.usage.prompt_tokens for r in records)
    print(
        f"documents: {args.docs}, concurrency: {args.concurrency}, "
        f"stub latency: {args.latency:.3f} s"
    )
    print(f"cold run:  {cold:.3f} s wall, {requests} requests, {errors} errors")
    waves = math.ceil(args.docs / args.concurrency) * args.latency
    print(f"ideal:     {ideal:.3f} s (docs x latency / concurrency)")
    print(f"           {waves:.3f} s in whole waves (ceil(docs / concurrency) x latency)")
    print(f"ratio:     {cold / ideal:.2f} (target <= 1.1)")
    print(f"start-up:  {fixed:.2f} s for a model run of one page in a new process (target <= 2.0)")
    cached = sum(r.cached for r in again)
    print(
        f"cached run: {warm:.3f} s wall, requests made: {warm_requests}, "
        f"{cached}/{len(again)} from cache, {len(again) / warm:.0f} docs/s"
    )
    print(f"prompt tokens per document: {prompt_tokens / max(1, len(records)):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
