"""The result cache: what it stores, what it returns, where it lives, and its CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extractor.backends import Extraction
from extractor.cli import main
from extractor.document import Document
from extractor.errors import ConfigurationError
from extractor.llm.cache import ResultCache, cache_clear, cache_info, cache_key, default_cache_dir
from extractor.records import Event, Evidence, Usage
from extractor.rules import extract_events

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt"


def sample() -> Extraction:
    found = extract_events(Document.from_text(SEED.read_text(encoding="utf-8")))
    found.model = "stub-rules (not a real model)"
    found.prompt = "extract@0123abcd"
    found.usage = Usage(requests=3, prompt_tokens=900, completion_tokens=120)
    return found


def test_a_stored_extraction_comes_back_cached_with_its_original_usage(tmp_path: Path) -> None:
    original = sample()
    with ResultCache(tmp_path / "c") as cache:
        assert cache.get("k") is None
        cache.put("k", original)
        assert len(cache) == 1
    with ResultCache(tmp_path / "c") as cache:  # another process would open it the same way
        hit = cache.get("k")
    assert hit is not None and hit.cached is True
    assert hit.usage == original.usage
    assert [e.model_dump() for e in hit.events] == [e.model_dump() for e in original.events]
    assert hit.model == original.model and hit.prompt == original.prompt
    assert hit.current_rating == original.current_rating


def test_an_unreadable_entry_is_a_miss(tmp_path: Path) -> None:
    import diskcache

    with diskcache.Cache(str(tmp_path / "c")) as raw:
        raw.set("extraction:k", '{"events": "not a list"}')
        raw.set("extraction:j", 42)
    with ResultCache(tmp_path / "c") as cache:
        assert cache.get("k") is None
        assert cache.get("j") is None


def test_cache_key_is_canonical_and_names_every_part() -> None:
    parts = {"document": "ab", "model": "m", "temperature": 0.0, "mode": "tools"}
    assert cache_key(parts) == cache_key(dict(reversed(list(parts.items()))))
    assert len(cache_key(parts)) == 64
    for name, other in [("document", "ac"), ("model", "n"), ("temperature", 0.1), ("mode", "json")]:
        assert cache_key({**parts, name: other}) != cache_key(parts)


def test_info_and_clear(tmp_path: Path) -> None:
    where = tmp_path / "c"
    assert cache_info(where) == (where, 0, 0)
    assert not where.exists()  # asking does not create it
    assert cache_clear(where) == 0
    with ResultCache(where) as cache:
        cache.put("a", sample())
        cache.put("b", sample())
    path, entries, size = cache_info(where)
    assert path == where and entries == 2 and size > 0
    assert cache_clear(where) == 2
    assert cache_info(where)[1] == 0


def test_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # conftest points XDG_CACHE_HOME at the test's own directory
    assert default_cache_dir() == tmp_path / "xdg-cache" / "cqc-extract"
    monkeypatch.setenv("CQC_EXTRACT_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"


def test_an_unusable_directory_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="--no-cache") as err:
        ResultCache(blocker / "cache")
    assert str(blocker) in str(err.value)


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from extractor.llm.cache import ResultCache\n"
        "from extractor.backends import Extraction\n"
        "from extractor.records import Usage\n"
        "with ResultCache(sys.argv[1]) as cache:\n"
        "    for n in range(40):\n"
        "        cache.put(f'{sys.argv[2]}-{n}', Extraction(usage=Usage(requests=n)))\n"
    )
    where = str(tmp_path / "shared")
    procs = [
        subprocess.Popen([sys.executable, "-c", code, where, name], cwd=ROOT)
        for name in ("one", "two")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with ResultCache(where) as cache:
        assert len(cache) == 80
        hit = cache.get("two-39")
    assert hit is not None and hit.usage.requests == 39


def run_cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_cli_cache_info_and_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = tmp_path / "c"
    with ResultCache(where) as cache:
        cache.put("a", Extraction(events=[Event(kind="review")]))
    assert run_cli(["cache", "info", "--cache-dir", str(where)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"path: {where}" and out[1] == "entries: 1"
    assert int(out[2].removeprefix("bytes: ")) > 0
    assert run_cli(["cache", "clear", "--cache-dir", str(where)]) == 0
    assert capsys.readouterr().out.strip() == f"cleared 1 entry from {where}"
    assert run_cli(["cache", "info", "--cache-dir", str(where)]) == 0
    assert "entries: 0" in capsys.readouterr().out


def test_cli_cache_uses_the_environment_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CQC_EXTRACT_CACHE_DIR", str(tmp_path / "env-cache"))
    assert run_cli(["cache", "info"]) == 0
    assert f"path: {tmp_path / 'env-cache'}" in capsys.readouterr().out


def test_a_damaged_cache_stops_a_model_run_and_cache_clear_removes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "broken"
    where.mkdir()
    (where / "cache.db").write_bytes(b"this is not an SQLite database" * 100)
    (where / "ab").mkdir()
    (where / "ab" / "cd.val").write_bytes(b"x")
    (where / "notes.txt").write_text("the user's own file", encoding="utf-8")
    args = ["extract", str(SEED), "--backend", "openai", "--model", "m"]
    args += ["--base-url", "http://127.0.0.1:9/v1", "--cache-dir", str(where)]
    assert run_cli(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert str(where) in err and "cache clear" in err and "--no-cache" in err
    assert run_cli(["cache", "info", "--cache-dir", str(where)]) == 2
    assert "cache clear" in capsys.readouterr().err
    # clear always works: it removes the cache's own files, and nothing else
    assert run_cli(["cache", "clear", "--cache-dir", str(where)]) == 0
    assert "could not be read" in capsys.readouterr().out
    assert sorted(p.name for p in where.iterdir()) == ["notes.txt"]
    assert run_cli(["cache", "info", "--cache-dir", str(where)]) == 0
    assert "entries: 0" in capsys.readouterr().out


def test_evidence_survives_the_round_trip(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    with ResultCache(tmp_path / "c") as cache:
        cache.put("k", sample())
        hit = cache.get("k")
    assert hit is not None
    evidence: list[Evidence] = [ev for e in hit.events for ev in e.evidence.values()]
    assert evidence and all(ev.holds_in(text) for ev in evidence)


def test_a_cache_hit_reuses_what_the_same_checker_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Served from the cache, a document is not checked again by the same checker (the
    checker is most of a hit's time); a changed checker checks it again."""
    import extractor.llm.cache as cache_module
    import extractor.pipeline as pipeline
    from extractor.backends import Backend
    from extractor.loading import load_document

    class FromCache(Backend):
        name = "openai"

        def __init__(self, cache: ResultCache, fresh: Extraction | None = None) -> None:
            self.cache, self.fresh = cache, fresh

        def extract(self, doc: Document) -> Extraction:
            hit = self.cache.get("k")
            if hit is not None:
                return hit
            assert self.fresh is not None
            self.cache.put("k", self.fresh)
            return self.fresh

    doc = load_document(SEED)
    calls: list[int] = []
    real = pipeline.check_record

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "check_record", counting)
    with ResultCache(tmp_path / "c") as cache:
        first = pipeline.extract_document(doc, FromCache(cache, sample()))
        assert calls == [1]
        again = pipeline.extract_document(doc, FromCache(cache))
        assert calls == [1]  # not checked again
        assert again.issues == first.issues and again.cached
        monkeypatch.setattr(cache_module, "checker_digest", lambda: "another checker")
        third = pipeline.extract_document(doc, FromCache(cache))
        assert calls == [1, 1] and third.issues == first.issues
