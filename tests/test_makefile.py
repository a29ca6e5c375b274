"""The Makefile's targets name only variables it defines: a renamed stamp left behind makes a
target skip building the environment it runs in (``make demo-model`` on a fresh clone)."""

from __future__ import annotations

import re
from pathlib import Path

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def test_every_variable_a_target_uses_is_defined() -> None:
    text = MAKEFILE.read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*[:?+]?=", text, re.M))
    defined |= {"MAKE", "CURDIR", "MAKEFLAGS"}
    used = set(re.findall(r"\$\(([A-Z_][A-Z0-9_]*)\)", text))
    assert used <= defined, f"undefined in the Makefile: {sorted(used - defined)}"
