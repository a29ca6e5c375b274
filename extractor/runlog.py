"""The run log: one JSONL line per run, appended beside the output, so a user can see what was
spent on what. Arguments are recorded without secrets (keys never come as flags; a URL loses
its user:password and every query parameter named like a secret: :func:`extractor.redact.redact_url`)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from extractor.pipeline import RunSummary
from extractor.redact import is_secret_name, redact_url


def run_log_path(output: Path) -> Path:
    """``results.jsonl`` -> ``results.runs.jsonl`` in the same directory."""
    return output.with_name(output.stem + ".runs.jsonl")


def clean_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a run as they may be written down: no secrets, paths as strings."""
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        if is_secret_name(name):
            continue
        if isinstance(value, str) and "://" in value:
            value = redact_url(value)
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        elif isinstance(value, tuple | list):
            value = [os.fspath(v) if isinstance(v, os.PathLike) else v for v in value]
        out[name] = value
    return out


def append_run_log(
    path: Path,
    *,
    command: str,
    arguments: dict[str, Any],
    started: dt.datetime,
    summary: RunSummary,
    exit_status: int,
    interrupted: bool = False,
    model: str | None = None,
) -> dict[str, Any]:
    """Append one line for a finished (or interrupted) run and return it."""
    from extractor.version import __version__

    ended = dt.datetime.now(dt.UTC)
    entry = {
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "seconds": round((ended - started).total_seconds(), 3),
        "version": __version__,
        "command": command,
        "arguments": clean_arguments(arguments),
        "model": model,
        "documents": summary.documents,
        "skipped": summary.skipped,
        "errors": summary.errors,
        "events": summary.events,
        "issues": {"error": summary.issues_error, "warning": summary.issues_warning},
        "cached": summary.cached,
        "usage": summary.usage.model_dump(),
        "cached_usage": summary.cached_usage.model_dump(),
        "interrupted": interrupted,
        "exit": exit_status,
    }
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=False) + "\n")
    return entry
