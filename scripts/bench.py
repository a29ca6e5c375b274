"""Benchmarks: figures printed, nothing asserted (timed unit tests flake on shared machines).

    make bench                     # everything below
    python scripts/bench.py rules  # just the rules backend

rules   documents per second of the rules backend on seed-sized pages, net of start-up, in one
        process (one core): load + extract + check, from files on disk to JSONL in memory.
memory  peak resident memory while 2,000 and 20,000 documents stream through the pipeline, and
        their ratio: state that grows with each document shows as a ratio above 1.
model   the model path against the local stub server (scripts/bench_model.py), if present.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.pipeline import run_extraction  # noqa: E402
from extractor.rules import RulesBackend  # noqa: E402


def _make_pages(directory: Path, n: int) -> list[Path]:
    """``n`` seed-sized pages, each with a unique line so each has its own digest."""
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    paths = []
    for i in range(n):
        path = directory / f"page{i:06d}.txt"
        path.write_text(texts[i % len(texts)] + f"\nReference {i}\n", encoding="utf-8")
        paths.append(path)
    return paths


def bench_rules(n: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _make_pages(Path(tmp), n)
        size = sum(p.stat().st_size for p in paths) / n
        backend = RulesBackend()
        sink = io.StringIO()
        run_extraction(paths[:20], backend, lambda r: sink.write(r.to_json()))  # warm-up
        t0 = time.perf_counter()
        summary = run_extraction(paths, backend, lambda r: sink.write(r.to_json() + "\n"))
        dt = time.perf_counter() - t0
    print(
        f"rules: {n} pages of {size / 1024:.1f} KiB, {summary.events} events in {dt:.2f} s "
        f"= {n / dt:.0f} documents/s (goal >= 200), one process"
    )


def _peak_rss(n: int) -> tuple[int, float, float]:
    """(documents, peak RSS in MB, seconds) of a fresh process streaming ``n`` pages."""
    code = (
        "import io, resource, sys; from pathlib import Path; "
        f"sys.path.insert(0, {str(ROOT)!r}); "
        "from extractor.pipeline import run_extraction; from extractor.rules import RulesBackend; "
        "from extractor.loading import iter_input_paths; "
        "paths = iter_input_paths([sys.argv[1]]); "
        "out = open('/dev/null', 'w'); "
        "s = run_extraction(paths, RulesBackend(), lambda r: out.write(r.to_json() + '\\n')); "
        "print(s.documents, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        _make_pages(Path(tmp), n)
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, tmp], capture_output=True, text=True, check=True
        )
        dt = time.perf_counter() - t0
    docs, kib = done.stdout.split()
    return int(docs), int(kib) / 1024, dt


def bench_memory() -> None:
    small, large = _peak_rss(2000), _peak_rss(20000)
    print(
        f"memory: {large[0]} documents streamed in {large[2]:.1f} s, peak RSS {large[1]:.0f} MB "
        f"(goal < 300 MB); {small[0]} documents: {small[1]:.0f} MB; ratio "
        f"{large[1] / small[1]:.2f} (goal <= 1.25)"
    )


def bench_model() -> None:
    script = ROOT / "scripts" / "bench_model.py"
    if script.exists():
        subprocess.run([sys.executable, str(script)], check=False)
    else:
        print("model: scripts/bench_model.py not present")


def main(argv: list[str]) -> None:
    which = argv or ["rules", "memory", "model"]
    for name in which:
        {"rules": bench_rules, "memory": bench_memory, "model": bench_model}[name]()
    print(
        f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
