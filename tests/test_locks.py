"""Issue 14, a lean install: requirements.lock is the runtime only (what `pip install .` needs,
and `make demo` installs), requirements-dev.lock adds the developer tools, the two agree on
every pin they share, and every package the code imports is declared."""

from __future__ import annotations

import ast
import importlib.metadata as md
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
#: Tools for developing, never needed to run: none may be in the runtime lock.
DEV_TOOLS = {"mypy", "pytest", "ruff", "vcrpy", "playwright", "pyyaml", "pluggy", "iniconfig"}
#: What builds the package (`pip install .` with the locked build tools).
BUILD_TOOLS = {"setuptools", "wheel"}


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, _, version = line.partition("==")
            assert version, f"{name}: {line} is not pinned"
            found[canonicalize_name(package)] = version
    return found


def project() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(data["project"])


def closure(requirements: list[str]) -> set[str]:
    """The installed distributions ``requirements`` need, recursively (markers evaluated)."""
    seen: set[str] = set()
    stack = [Requirement(r) for r in requirements]
    while stack:
        req = stack.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for sub in md.distribution(name).requires or []:
            r = Requirement(sub)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                stack.append(r)
    return seen


def test_the_runtime_lock_holds_the_runtime_and_no_dev_tool() -> None:
    runtime = pins("requirements.lock")
    assert not set(runtime) & DEV_TOOLS
    declared = [str(d) for d in project()["dependencies"]]  # type: ignore[attr-defined]
    assert set(runtime) == closure(declared) | BUILD_TOOLS


def test_both_locks_agree_on_every_shared_pin() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert set(runtime) <= set(dev)
    assert {n: dev[n] for n in runtime} == runtime
    assert {"mypy", "pytest", "ruff", "vcrpy"} <= set(dev)
    # the dependency trap: instructor 1.17.0 needs jiter<0.15 and pairs with openai 3.3.0
    assert (runtime["instructor"], runtime["openai"]) == ("1.17.0", "3.3.0")
    assert runtime["jiter"].split(".")[:2] < ["0", "15"]


def test_every_package_the_code_imports_is_declared() -> None:
    declared = {
        canonicalize_name(Requirement(str(d)).name)
        for d in project()["dependencies"]  # type: ignore[attr-defined]
    }
    distributions = md.packages_distributions()
    imported: set[str] = set()
    for path in (ROOT / "extractor").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "extractor"}
    needed = {canonicalize_name(distributions[m][0]) for m in third_party}
    assert "httpx2" in needed
    assert needed <= declared, needed - declared
