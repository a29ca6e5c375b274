"""A disk cache of validated model answers, keyed by everything that changes the answer.

One entry per document and configuration: the key (:func:`cache_key`) is the sha256 of a
canonical JSON of the document's sha256, the backend, model, base URL, mode, prompt hash,
answer-schema hash, temperature, chunking, re-ask budget and the record schema version. The
value is the finished :class:`~extractor.backends.Extraction` (events with located evidence,
the backend's issues, the model the server reported, and the usage of the original requests),
stored as JSON, never pickled. Only answers that came through validation and re-asks are
stored; a document that ended in an error never is.

Storage is :mod:`diskcache` (SQLite under the hood), safe for several processes at once: each
process opens its own :class:`ResultCache` and closes it when its backend closes. diskcache,
SQLite and OS errors are translated here into :class:`~extractor.errors.ConfigurationError`,
whose message names the directory and says what to do.

The default directory is ``platformdirs.user_cache_dir("cqc-extract")``, or
``$CQC_EXTRACT_CACHE_DIR`` when set; ``--cache-dir`` overrides both.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import diskcache
import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.backends import Extraction
from extractor.errors import ConfigurationError
from extractor.records import SCHEMA_VERSION, Event, Evidence, Issue, Rating, Usage
from extractor.redact import redact_url

CACHE_ENV: Final = "CQC_EXTRACT_CACHE_DIR"
#: Bumped when the stored form changes, so old entries are never misread.
_STORE_VERSION: Final = 1
_KEY_PREFIX: Final = "extraction:"


def default_cache_dir() -> Path:
    """``$CQC_EXTRACT_CACHE_DIR``, else the user cache directory for ``cqc-extract``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("cqc-extract"))


def cache_key(parts: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``parts`` plus the record schema version.

    A ``base_url`` is taken without its credentials (:func:`~extractor.redact.redact_url`):
    they do not change the answer, and a batch manifest stores the URL without them."""
    data = {**parts, "schema_version": SCHEMA_VERSION, "store_version": _STORE_VERSION}
    if isinstance(data.get("base_url"), str):
        data["base_url"] = redact_url(data["base_url"])
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Stored(BaseModel):
    """The stored form of an Extraction."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(default_factory=list)
    current_rating: Rating | None = None
    current_rating_evidence: Evidence | None = None
    model: str | None = None
    prompt: str | None = None
    usage: Usage = Field(default_factory=Usage)
    issues: list[Issue] = Field(default_factory=list)
    #: What the checker found on this extraction, and which checker (see checker_digest).
    checked: list[Issue] | None = None
    checker: str | None = None


#: The modules whose code decides what the checker finds.
_CHECKER_MODULES: Final = (
    "extractor.checker",
    "extractor.records",
    "extractor.reading.values",
    "extractor.reading.readers",
    "extractor.reading.layout",
)


@functools.cache
def checker_digest() -> str | None:
    """A digest of the checker's code (its modules' source), so that what one checker found
    is reused only by the same checker: a changed checker judges every cached answer again.
    None when the source cannot be read (then nothing is reused)."""
    digest = hashlib.sha256()
    for name in _CHECKER_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            return None
        try:
            digest.update(Path(spec.origin).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()[:16]


def _reusable(stored: _Stored) -> list[Issue] | None:
    """The checker's stored issues, when the same checker found them and none of them
    depends on the day (a date in the future may be one no longer)."""
    if stored.checked is None or stored.checker is None or stored.checker != checker_digest():
        return None
    if any(i.code == "date_in_future" for i in stored.checked):
        return None
    return stored.checked


_DISK_ERRORS: Final = (OSError, sqlite3.Error, diskcache.Timeout)


@contextmanager
def _translated(directory: Path, doing: str) -> Iterator[None]:
    try:
        yield
    except _DISK_ERRORS as err:
        raise ConfigurationError(
            f"the cache at {directory} cannot be {doing} ({type(err).__name__}: {err}); "
            f"`cqc-extract cache clear --cache-dir {directory}` removes a damaged cache, or use "
            "--cache-dir DIR for another place or --no-cache"
        ) from err


class ResultCache:
    """Validated extractions on disk. Open one per process; :meth:`close` when done."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        with _translated(self.directory, "opened"):
            self._cache = diskcache.Cache(str(self.directory))

    def get(self, key: str) -> Extraction | None:
        """The stored extraction for ``key``, marked ``cached=True``; None on a miss.

        An entry that no longer reads as an extraction (written by another version) is a
        miss.
        """
        with _translated(self.directory, "read"):
            raw = self._cache.get(_KEY_PREFIX + key)
        if not isinstance(raw, str):
            return None
        try:
            stored = _Stored.model_validate_json(raw)
        except ValidationError:
            return None
        checked = _reusable(stored)
        return Extraction(
            events=stored.events,
            current_rating=stored.current_rating,
            current_rating_evidence=stored.current_rating_evidence,
            model=stored.model,
            prompt=stored.prompt,
            usage=stored.usage,
            issues=stored.issues,
            cached=True,
            checked=checked,
            on_checked=None if checked is not None else self._keeper(key, stored),
        )

    def put(self, key: str, extraction: Extraction) -> None:
        """Store ``extraction`` (as it was made: its usage is the original requests')."""
        stored = _Stored(
            events=extraction.events,
            current_rating=extraction.current_rating,
            current_rating_evidence=extraction.current_rating_evidence,
            model=extraction.model,
            prompt=extraction.prompt,
            usage=extraction.usage,
            issues=extraction.issues,
        )
        with _translated(self.directory, "written"):
            self._cache.set(_KEY_PREFIX + key, stored.model_dump_json())
        extraction.on_checked = self._keeper(key, stored)

    def _keeper(self, key: str, stored: _Stored) -> Callable[[list[Issue]], None]:
        """A callback that adds what the checker found to the entry ``key`` (best effort: a
        failed write only means the checker runs again next time)."""

        def keep(checked: list[Issue]) -> None:
            digest = checker_digest()
            if digest is None:
                return
            update = stored.model_copy(update={"checked": list(checked), "checker": digest})
            with contextlib.suppress(ConfigurationError), _translated(self.directory, "written"):
                self._cache.set(_KEY_PREFIX + key, update.model_dump_json())

        return keep

    def __len__(self) -> int:
        with _translated(self.directory, "read"):
            return len(self._cache)

    def volume(self) -> int:
        """Bytes on disk."""
        with _translated(self.directory, "read"):
            return int(self._cache.volume())

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        with _translated(self.directory, "cleared"):
            return int(self._cache.clear())

    def close(self) -> None:
        with _translated(self.directory, "closed"):
            self._cache.close()

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _resolve(directory: str | os.PathLike[str] | None) -> Path:
    return Path(directory) if directory is not None else default_cache_dir()


def cache_info(directory: str | os.PathLike[str] | None = None) -> tuple[Path, int, int]:
    """(path, entries, bytes) of the cache; a cache never opened counts as empty and is not
    created by asking."""
    path = _resolve(directory)
    if not path.exists():
        return path, 0, 0
    with ResultCache(path) as cache:
        return path, len(cache), cache.volume()


def cache_clear(directory: str | os.PathLike[str] | None = None) -> int:
    """Empty the cache; returns how many entries were removed. A cache that cannot even be
    opened (damaged, or written by something else) is removed file by file instead
    (:func:`remove_cache_files`): -1 is returned then, for "an unknown number"."""
    path = _resolve(directory)
    if not path.exists():
        return 0
    try:
        with ResultCache(path) as cache:
            return cache.clear()
    except ConfigurationError:
        remove_cache_files(path)
        return -1


#: diskcache's files: the SQLite database (and its journal files) and the two-level
#: directories of hex names where large values are kept.
_STORE_FILES: Final = ("cache.db", "cache.db-wal", "cache.db-shm", "cache.db-journal")
_STORE_DIR: Final = re.compile(r"^[0-9a-f]{2}$")


def remove_cache_files(directory: str | os.PathLike[str]) -> None:
    """Remove the files of a cache in ``directory``, whatever state they are in: the
    database and its journals, and diskcache's hex-named value directories. Nothing else in
    ``directory`` is touched (it may be a folder the user also uses for other things)."""
    path = Path(directory)
    with _translated(path, "removed"):
        for name in _STORE_FILES:
            (path / name).unlink(missing_ok=True)
        for child in path.iterdir():
            if child.is_dir() and not child.is_symlink() and _STORE_DIR.match(child.name):
                shutil.rmtree(child)


__all__ = [
    "CACHE_ENV",
    "ResultCache",
    "cache_clear",
    "cache_info",
    "cache_key",
    "checker_digest",
    "default_cache_dir",
    "remove_cache_files",
]
