"""Shared test set-up: nothing a test does reaches the user's environment, cache or network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import cli
from extractor.records import Record

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No real key, no real server, and a cache directory of the test's own."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "CQC_EXTRACT_CACHE_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("CQC_EXTRACT_RAISE", "1")
    yield


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def seed_results(tmp_path: Path) -> Path:
    """The seeds extracted by the rules backend, as a results file."""
    out = tmp_path / "seeds.jsonl"
    result = CliRunner().invoke(
        cli, ["extract", str(SEEDS), "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0
    return out


def records_of(path: Path) -> list[Record]:
    """The records of a results file."""
    return [Record.from_json(line) for line in path.read_text().splitlines() if line.strip()]


class FakeClock:
    """A monotonic clock that only moves when the backend sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
