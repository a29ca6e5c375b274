"""Option groups shared by the commands of :mod:`extractor.cli`.

``extract``, ``batch prepare`` and ``batch ingest`` take the same flags for the same things (the
model and how it is asked, the cache, the size limit, quiet runs); each group is declared once
here, with the help text that fits the command where it differs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from extractor.errors import UsageError
from extractor.loading import DEFAULT_MAX_BYTES
from extractor.output import Existing, is_stdout
from extractor.redact import remember_url_secrets

F = TypeVar("F", bound=Callable[..., Any])

#: How a model is asked for structured output.
MODES = ("tools", "json_schema", "json")


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, shown in ``--help`` in the order given."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def model_options(*, base_url_help: str, for_what: str = "") -> Callable[[F], F]:
    """``--model``, ``--base-url``, ``--mode`` and ``--temperature``."""
    return options(
        click.option("--model", help=f"Model name{for_what} (default: $CQC_EXTRACT_MODEL)."),
        click.option("--base-url", callback=remember_base_url, help=base_url_help),
        click.option(
            "--mode",
            type=click.Choice(MODES, case_sensitive=False),
            help=f"How the model is asked for structured output{for_what} (default tools).",
        ),
        click.option(
            "--temperature", type=float, help=f"Sampling temperature{for_what} (default 0)."
        ),
    )


def remember_base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--base-url`` callback: the URL's credentials are masked in every message from now
    on (see :mod:`extractor.redact`)."""
    remember_url_secrets(value)
    return value


def cache_options(*, dir_help: str, no_cache_help: str) -> Callable[[F], F]:
    """``--cache-dir`` and ``--no-cache``."""
    return options(
        click.option(
            "--cache-dir", type=click.Path(file_okay=False, path_type=Path), help=dir_help
        ),
        click.option("--no-cache", is_flag=True, help=no_cache_help),
    )


def max_bytes_option(help: str) -> Callable[[F], F]:
    """``--max-bytes``: the size above which an input is not read."""
    return click.option(
        "--max-bytes",
        type=click.IntRange(1),
        default=DEFAULT_MAX_BYTES,
        show_default=True,
        help=help,
    )


def quiet_option(help: str = "No summary on stderr.") -> Callable[[F], F]:
    """``-q/--quiet``."""
    return click.option("-q", "--quiet", is_flag=True, help=help)


def records_output_option(*, resume: bool = True) -> Callable[[F], F]:
    """``-o/--output`` (the JSONL file records are written to as each document is done, or
    ``-`` for stdout) and the word an existing one needs: ``--append``, ``--overwrite`` and,
    where documents can be skipped, ``--resume``."""
    words = [
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
            help="Write one JSONL record per document to this file as each is done (default, "
            "or -: stdout). A file that already has records needs "
            + ("--resume, --append or --overwrite." if resume else "--append or --overwrite."),
        )
    ]
    if resume:
        words.append(
            click.option(
                "--resume",
                is_flag=True,
                help="Continue OUT: skip documents that already have a record without error made "
                "by the same backend, model, prompt and schema version; redo the others.",
            )
        )
    words += [
        click.option("--append", is_flag=True, help="Add the records to an existing OUT."),
        click.option("--overwrite", is_flag=True, help="Replace an existing OUT."),
    ]
    return options(*words)


def existing_output(
    output: Path | None, *, resume: bool = False, append: bool = False, overwrite: bool = False
) -> Existing:
    """What to do with an existing OUT, from the flags (at most one; each needs a file)."""
    given = [
        name
        for name, on in (("resume", resume), ("append", append), ("overwrite", overwrite))
        if on
    ]
    if len(given) > 1:
        raise UsageError(f"--{given[0]} and --{given[1]} cannot be used together")
    if given and is_stdout(output):
        raise UsageError(f"--{given[0]} needs -o OUT.jsonl (a file)")
    return cast(Existing, given[0]) if given else "refuse"


__all__ = [
    "MODES",
    "cache_options",
    "existing_output",
    "max_bytes_option",
    "model_options",
    "options",
    "quiet_option",
    "records_output_option",
    "remember_base_url",
]
