"""Benchmarks: figures printed, nothing asserted (timed unit tests flake on shared machines).

    make bench                     # everything below
    python scripts/bench.py rules  # just the rules backend

rules   documents per second of the rules backend on seed-sized pages, net of start-up, in one
        process (one core): load + extract + check, from files on disk to JSONL in memory.
memory  peak resident memory while 2,000 and 20,000 documents stream through the pipeline, and
        their ratio: state that grows with each document shows as a ratio above 1.
model   the model path against the local stub server (scripts/bench_model.py), if present.
review  the review page of 2,000 seed-sized documents: its size, and the time headless chromium
        takes to open it from disk and show the first document; then how 20,000 are split.
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


def _time_to_first_document(page_path: Path) -> tuple[float, float]:
    """Seconds from navigation to the first document shown (wall clock, and the page's own
    performance.now() when its script finished), in headless Debian chromium."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto("about:blank")
            t0 = time.perf_counter()
            page.goto(page_path.as_uri(), wait_until="commit")
            page.wait_for_selector("body[data-ready] #text .seg", timeout=60_000)
            wall = time.perf_counter() - t0
            in_page = page.evaluate("window.__reviewReady") / 1000
        finally:
            browser.close()
    return wall, in_page


def bench_review(n: int = 2000, many: int = 20000) -> None:
    from extractor.review import write_review

    if not Path("/usr/bin/chromium").exists():
        print("review: /usr/bin/chromium is missing (apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = _make_pages(Path(tmp), n)
        results = Path(tmp) / "results.jsonl"
        with results.open("w", encoding="utf-8") as out:
            run_extraction(paths, RulesBackend(), lambda r: out.write(r.to_json() + "\n"))
        t0 = time.perf_counter()
        [part] = write_review(results, Path(tmp) / "review.html")
        written = time.perf_counter() - t0
        wall, in_page = _time_to_first_document(part.path)
        print(
            f"review: {n} documents, {part.size / 1e6:.1f} MB written in {written:.1f} s; "
            f"first document shown {wall:.2f} s after navigation in headless chromium "
            f"(script done at {in_page:.2f} s) (goal < 2 s)"
        )
        lines = results.read_text(encoding="utf-8")
        results.write_text(lines * (many // n), encoding="utf-8")
        t0 = time.perf_counter()
        parts = write_review(results, Path(tmp) / "big" / "review.html")
        written = time.perf_counter() - t0
        sizes = sorted({round(p.size / 1e6, 1) for p in parts})
        print(
            f"review: {many} documents written in {written:.1f} s as {len(parts)} parts of "
            f"{parts[0].documents} documents ({sizes[0]}-{sizes[-1]} MB each)"
        )


def bench_model() -> None:
    script = ROOT / "scripts" / "bench_model.py"
    if script.exists():
        subprocess.run([sys.executable, str(script)], check=False)
    else:
        print("model: scripts/bench_model.py not present")


def main(argv: list[str]) -> None:
    which = argv or ["rules", "memory", "model", "review"]
    benches = {"rules": bench_rules, "memory": bench_memory, "model": bench_model}
    benches["review"] = bench_review
    for name in which:
        benches[name]()
    print(
        f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
