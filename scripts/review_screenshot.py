"""Take docs/review.png: the review page of the seeds, in headless Debian chromium.

    .venv/bin/python scripts/review_screenshot.py [OUT.png]

Extracts seeds/ with the rules backend, writes the review against the seeds' gold, opens it,
clicks the second event's previous rating (a sentence that also states the date it was
published, so two spans overlap) and hovers over it, then saves a 1400x900 screenshot.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "extractor"]


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    out = Path(argv[0]) if argv else ROOT / "docs" / "review.png"
    with tempfile.TemporaryDirectory() as tmp:
        results, page_file = Path(tmp) / "seeds.jsonl", Path(tmp) / "review.html"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for args in (
            ["extract", "seeds", "-o", str(results), "-q"],
            ["review", str(results), "--gold", "seeds", "-o", str(page_file)],
        ):
            subprocess.run([*CLI, *args], cwd=ROOT, env=env, check=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-ready]")
            page.click('#events tr:nth-child(2) td[data-field="previous_rating"] button.val')
            page.hover("#text .seg.active")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
