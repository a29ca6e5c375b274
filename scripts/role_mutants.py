"""Print the role-mutant and false-error figures of issue 11 (``tests/test_role_mutation.py``).

Usage: ``.venv/bin/python scripts/role_mutants.py [--misses]``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_role_mutation import false_errors, role_results


def main() -> None:
    show = "--misses" in sys.argv
    r = role_results()
    f = false_errors()
    for text in (r.summary(), f.summary()):
        lines = text.splitlines()
        print("\n".join(lines if show else [ln for ln in lines if not ln.startswith("    ")][:12]))


if __name__ == "__main__":
    main()
