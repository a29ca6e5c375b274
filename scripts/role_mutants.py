"""Print the checker's figures of issue 11 (``tests/test_role_mutation.py``): role mutants,
errors on gold-correct events, the rules' wrong ratings flagged, and quotes of another length.

Usage: ``.venv/bin/python scripts/role_mutants.py [--misses]``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_role_mutation import false_errors, role_results, variant_results, wrong_ratings


def main() -> None:
    show = "--misses" in sys.argv
    for text in (
        role_results().summary(),
        false_errors().summary(),
        wrong_ratings().summary(),
        variant_results().summary(),
    ):
        lines = text.splitlines()
        print("\n".join(lines if show else [ln for ln in lines if not ln.startswith("    ")][:22]))


if __name__ == "__main__":
    main()
