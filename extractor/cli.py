"""The ``cqc-extract`` command line: parses flags, calls the library, writes, picks the exit code.

Exit status: 0 every document processed without error; 1 at least one document has an
``error`` (or, for ``check``, an issue of severity error); 2 a usage error. Results go to
stdout or ``-o``; progress and messages go to stderr. Set ``CQC_EXTRACT_RAISE=1`` to see
tracebacks of unexpected errors instead of a one-line message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from extractor.backends import backend_names, backend_option_names, get_backend
from extractor.cli_options import (
    cache_options,
    existing_output,
    max_bytes_option,
    model_options,
    quiet_option,
    records_output_option,
    remember_base_url,
)
from extractor.errors import ExtractorError, OutputError, ServerUnavailable, UsageError
from extractor.evaluation import (
    compare,
    evaluate,
    format_compare,
    format_eval,
    load_gold_dir,
    load_records,
)
from extractor.loading import iter_input_paths, read_text
from extractor.output import (
    Existing,
    can_log_beside,
    check_output,
    is_stdout,
    open_records,
)
from extractor.pipeline import (
    RunSummary,
    counted,
    read_done,
    recheck_record,
    run_extraction,
)
from extractor.records import Record
from extractor.redact import redact_text
from extractor.runlog import append_run_log, run_log_path
from extractor.version import __version__

if TYPE_CHECKING:  # imported on first use: rules users never import openai
    import openai

    from extractor.llm.batch import BatchState

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
#: Documents a model backend (one that waits on a server) processes at once by default.
MODEL_CONCURRENCY = 8


def _err(message: str) -> None:
    click.echo(f"cqc-extract: {message}", err=True)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="cqc-extract")
def cli() -> None:
    """Turn CQC inspection report pages into structured, checked data.

    Every value (inspection date, rating awarded, previous rating and when it was published,
    people using the service, announced or not) comes with the verbatim quote that supports
    it and its character offsets, and a checker holds each value to the text.

    \b
    Quick start:
      cqc-extract extract seeds/ -o results.jsonl
      cqc-extract check results.jsonl
      cqc-extract eval results.jsonl --gold seeds/
    """
    if click.get_current_context().invoked_subcommand != "extract":
        _heap_settled()  # extract settles it once its backend is loaded


# --- extract ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        yield (bar, bar.add_task("extracting", total=total))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@records_output_option(resume=True)
@click.option(
    "--backend",
    default="rules",
    show_default=True,
    metavar="NAME",
    help="Extraction backend: rules (no key, no network) or openai (any OpenAI-compatible server).",
)
@model_options(
    base_url_help="Server URL for a model backend (default: $OPENAI_BASE_URL, else OpenAI).",
    for_what=" for a model backend",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    help=f"Documents processed at once (default: {MODEL_CONCURRENCY} for a model backend, which "
    "waits on a server; the rules backend does one at a time).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Seconds one request to a model server may take (default 120); a document may take "
    "4 times as long, re-asks included.",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    metavar="N",
    help="The longest answer a model may give, in tokens (default: the server's limit).",
)
@cache_options(
    dir_help="Cache of validated model answers (default: the user cache directory).",
    no_cache_help="Neither read nor write the cache.",
)
@max_bytes_option("Files larger than this get a record with an error instead of being read.")
@quiet_option("No progress bar and no summary on stderr.")
def extract(
    paths: tuple[str, ...],
    output: Path | None,
    resume: bool,
    append: bool,
    overwrite: bool,
    backend: str,
    model: str | None,
    base_url: str | None,
    mode: str | None,
    temperature: float | None,
    concurrency: int | None,
    timeout: float | None,
    max_tokens: int | None,
    cache_dir: Path | None,
    no_cache: bool,
    max_bytes: int,
    quiet: bool,
) -> None:
    """Extract the events of each document in PATHS (files, or directories searched recursively
    for .txt and .html files; - reads one document from stdin) as one JSONL record per
    document.

    \b
    -o OUT.jsonl that already has records needs a word:
      --resume     continue it: a document that already has a record without error, made by
                   the same backend, model, prompt and schema version, is skipped; the others
                   (failed, or made by another backend, model or prompt) are done again
      --append     add to it
      --overwrite  replace it
    A torn last line (a killed run) is repaired first. OUT may not be one of the inputs.

    Exit status 0 when every document was processed, 1 when at least one record has an error
    (all others are still written), 2 for a usage error or an output that cannot be written,
    130 after Ctrl-C and 143 after SIGTERM (the records written are kept; the run log says so).
    """
    existing = existing_output(output, resume=resume, append=append, overwrite=overwrite)
    options = _backend_options(
        backend,
        model=model,
        base_url=base_url,
        mode=mode,
        temperature=temperature,
        timeout=timeout,
        max_tokens=max_tokens,
        cache_dir=cache_dir,
        no_cache=no_cache or None,
    )
    files = iter_input_paths(paths)
    if output is not None and not is_stdout(output):
        check_output(output, existing, files)
    started = dt.datetime.now(dt.UTC)
    summary = RunSummary()
    models: set[str] = set()
    interrupted: str | None = None
    unavailable: ServerUnavailable | None = None
    with _signals_as_interrupts() as received, get_backend(backend, **options) as engine:
        _heap_settled()  # the backend's modules are loaded
        done = read_done(output, engine) if existing == "resume" and output is not None else set()
        workers = concurrency or (MODEL_CONCURRENCY if engine.waits_on_io else 1)
        try:
            _run(files, engine, output, existing, workers, done, max_bytes, quiet, summary, models)
        except KeyboardInterrupt:
            interrupted = received.get("signal", "SIGINT")
            again = " with --resume" if output is not None and not is_stdout(output) else ""
            _err(
                f"interrupted ({interrupted}): the records already written are kept; run again{again} to finish"
            )
        except ServerUnavailable as err:  # the run stops: one line, exit 2
            unavailable = err
    status = (
        (143 if interrupted == "SIGTERM" else 130)
        if interrupted
        else 2
        if unavailable
        else 1
        if summary.errors
        else 0
    )
    if can_log_beside(output):
        assert output is not None
        arguments = {"paths": list(paths), "output": output, "backend": backend, **options}
        arguments.update(concurrency=workers, resume=resume, append=append, overwrite=overwrite)
        arguments.update(max_bytes=max_bytes)
        append_run_log(
            run_log_path(output),
            command="extract",
            arguments=arguments,
            started=started,
            summary=summary,
            exit_status=status,
            interrupted=interrupted is not None,
            model=", ".join(sorted(models)) or None,
        )
    if unavailable is not None:
        _err(f"error: {redact_text(str(unavailable))}")
        sys.exit(status)
    if not quiet:
        _err(summary.line())
    if not files:
        _err("no supported files (.txt, .html) found in the given paths")
    sys.exit(status)


def _backend_options(backend: str, **given: Any) -> dict[str, Any]:
    """The options given on the command line (those left unset dropped); a flag the backend does
    not take is a usage error that names it and the backend that does."""
    options = {k: v for k, v in given.items() if v is not None}
    accepted = backend_option_names(backend)
    extra = [k for k in options if accepted is not None and k not in accepted]
    if extra:
        flags = ", ".join("--" + k.replace("_", "-") for k in extra)
        raise UsageError(
            f"{flags}: not an option of the {backend} backend; model options need --backend openai"
        )
    return options


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[dict[str, str]]:
    """SIGTERM (what ``timeout`` and schedulers send) handled as Ctrl-C is: it raises
    KeyboardInterrupt, so the run stops the same way and its run-log line is written. The
    dict yielded names the signal received."""
    received: dict[str, str] = {}

    def handler(signum: int, frame: object) -> None:
        received["signal"] = signal.Signals(signum).name
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield received
        return
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(
    files: Sequence[Path],
    engine: Any,
    output: Path | None,
    existing: Existing,
    concurrency: int,
    done: set[str],
    max_bytes: int,
    quiet: bool,
    summary: RunSummary,
    models: set[str],
) -> None:
    show_bar = not quiet and len(files) > 1 and sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open_records(output, existing))
        bar = stack.enter_context(_progress(len(files), show_bar))

        def write(record: Record) -> None:
            out.write(record)
            if record.model:
                models.add(record.model)
            if record.error is not None and not quiet:
                _err(f"{record.source}: {record.error.message}")  # redacted by the pipeline
            if bar is not None:
                bar[0].advance(bar[1])

        run_extraction(
            files,
            engine,
            write,
            concurrency=concurrency,
            skip_sha256=done,
            max_bytes=max_bytes,
            summary=summary,
        )


# --- check --------------------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Write the records back out (stdout) with issues replaced.",
)
@click.option(
    "--base-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where relative sources are found (default: the current directory, then the results file's).",
)
def check(results: Path, as_json: bool, base_dir: Path | None) -> None:
    """Re-read each record's source and re-run the checker on the record as it stands.

    A record edited by hand or produced by another tool is checked the same way. Prints one
    line per issue; exit status 1 when any record has an issue of severity error. The summary
    line on stderr counts the records with an error, then the issues.
    """
    bases = [base_dir] if base_dir else [Path.cwd(), results.resolve().parent]
    worst = 0
    n_err = n_warn = n_rec = n_bad = 0
    matches: dict[str, int] = {}
    with results.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            record, issues = recheck_record(line, bases, where=f"{results}:{lineno}")
            n_rec += 1
            for how in _matches(record):
                matches[how] = matches.get(how, 0) + 1
            n_err += sum(i.severity == "error" for i in issues)
            n_warn += sum(i.severity == "warning" for i in issues)
            if any(i.severity == "error" for i in issues):
                worst = 1
                n_bad += 1
            if as_json and record is not None:
                click.echo(record.model_copy(update={"issues": issues}).to_json())
            elif not as_json:
                source = record.source if record is not None else f"{results}:{lineno}"
                for i in issues:
                    where = "page" if i.event is None else f"event {i.event}"
                    field = f" {i.field}" if i.field else ""
                    click.echo(f"{source}: {where}{field}: {i.severity} {i.code}: {i.message}")
    how = ", ".join(f"{matches[k]} {k}" for k in ("exact", "normalized", "elided") if k in matches)
    quotes = f"; model quotes matched: {how}" if how else ""
    _err(
        f"checked {counted(n_rec, 'record')}: {n_bad} with errors ({counted(n_err, 'error')}, "
        f"{counted(n_warn, 'warning')} in all){quotes}"
    )
    sys.exit(worst)


def _matches(record: Record | None) -> Iterator[str]:
    """How each of a record's model quotes was matched (evidence without ``match`` skipped)."""
    if record is None:
        return
    evidence = [ev for event in record.events for ev in event.evidence.values()]
    if record.current_rating_evidence is not None:
        evidence.append(record.current_rating_evidence)
    yield from (ev.match for ev in evidence if ev.match is not None)


# --- eval and compare -----------------------------------------------------------------------------


@cli.command(name="eval", context_settings=CONTEXT_SETTINGS)
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--gold",
    "gold_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of gold files (NAME.gold.json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--mismatches",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help="How many mismatches to list.",
)
def eval_(results: Path, gold_dir: Path, as_json: bool, mismatches: int) -> None:
    """Field-level precision, recall and F1 of RESULTS against gold files.

    Events are aligned by kind and date, then in order. A wrong value counts as a false
    positive and a false negative.
    """
    report = evaluate(load_records(results), load_gold_dir(gold_dir))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(format_eval(report, show_mismatches=mismatches))


@cli.command(name="compare", context_settings=CONTEXT_SETTINGS)
@click.argument("a", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--gold",
    "gold_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Gold directory: also say which run was right where they differ.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option(
    "--show",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help="How many disagreements to list.",
)
def compare_(a: Path, b: Path, gold_dir: Path | None, as_json: bool, show: int) -> None:
    """Where two runs (say openai against rules) agree and differ, field by field."""
    gold = load_gold_dir(gold_dir) if gold_dir else None
    report = compare(load_records(a), load_records(b), gold, names=(a.name, b.name))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(format_compare(report, show=show))


# --- text ---------------------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(path_type=Path))
def text(file: Path) -> None:
    """Print exactly the text that offsets refer to (decoded; for HTML, the visible text),
    so that any quote can be checked as text[start:end]."""
    try:
        content = read_text(file)
    except ExtractorError as err:
        raise UsageError(f"{file}: {err}") from err
    sys.stdout.buffer.write(content.encode("utf-8"))
    sys.stdout.flush()


@cli.command(name="backends", context_settings=CONTEXT_SETTINGS)
def backends_() -> None:
    """List the available backends."""
    for name in backend_names():
        click.echo(name)


# --- cache --------------------------------------------------------------------------------------

_CACHE_DIR_OPTION = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The cache directory (default: $CQC_EXTRACT_CACHE_DIR, else the user cache directory).",
)


@cli.group(name="cache", context_settings=CONTEXT_SETTINGS)
def cache_() -> None:
    """The cache of validated model answers (used by model backends)."""


@cache_.command(name="info", context_settings=CONTEXT_SETTINGS)
@_CACHE_DIR_OPTION
def cache_info_(cache_dir: Path | None) -> None:
    """Where the cache is, how many entries it holds and how many bytes it takes."""
    from extractor.llm.cache import cache_info

    path, entries, size = cache_info(cache_dir)
    click.echo(f"path: {path}")
    click.echo(f"entries: {entries}")
    click.echo(f"bytes: {size}")


@cache_.command(name="clear", context_settings=CONTEXT_SETTINGS)
@_CACHE_DIR_OPTION
def cache_clear_(cache_dir: Path | None) -> None:
    """Remove every entry from the cache."""
    from extractor.llm.cache import cache_clear, default_cache_dir

    where = cache_dir or default_cache_dir()
    removed = cache_clear(cache_dir)
    if removed < 0:
        click.echo(f"removed a cache that could not be read from {where}")
    else:
        click.echo(f"cleared {removed} {'entry' if removed == 1 else 'entries'} from {where}")


# --- batch --------------------------------------------------------------------------------------
# The Batch API path (extractor.llm.batch), imported on first use so that rules users never import
# openai. Each command is one or two library calls; results (file paths, batch ids) go to stdout.

_BASE_URL_SERVER_OPTION = click.option(
    "--base-url",
    callback=remember_base_url,
    help="Server URL (default: the one the batches were submitted to, else $OPENAI_BASE_URL, "
    "else OpenAI).",
)


@cli.group(name="batch", context_settings=CONTEXT_SETTINGS)
def batch_() -> None:
    """Extract through the OpenAI Batch API (or vLLM's batch runner): the same requests and
    records as `extract --backend openai`, at batch prices.

    \b
    Steps:
      cqc-extract batch prepare pages/ -o requests.jsonl --model M
      cqc-extract batch submit requests.jsonl        # uploads, creates the batch
      cqc-extract batch status                       # until it is completed
      cqc-extract batch collect -o results/          # downloads the answers
      cqc-extract batch ingest results/*.jsonl -o out.jsonl
    """


@batch_.command(
    name="prepare",
    context_settings=CONTEXT_SETTINGS,
    short_help="Write the request files and their manifest.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="REQUESTS.jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The request file; REQUESTS.001.jsonl, REQUESTS.002.jsonl, ... instead when one file "
    "would pass the limits.",
)
@model_options(
    base_url_help="The server that will answer (default: $OPENAI_BASE_URL, else OpenAI); it names "
    "the cache entries that ingest writes."
)
@click.option(
    "--max-requests",
    type=click.IntRange(1),
    default=50_000,
    show_default=True,
    help="Requests per file at most (the Batch API's limit).",
)
@click.option(
    "--max-file-bytes",
    type=click.IntRange(1),
    default=200 * 1024 * 1024,
    show_default=True,
    help="Bytes per file at most (the Batch API's limit).",
)
@max_bytes_option("Input files larger than this are reported and left out.")
@quiet_option()
def batch_prepare(
    paths: tuple[str, ...],
    output: Path,
    model: str | None,
    mode: str | None,
    temperature: float | None,
    base_url: str | None,
    max_requests: int,
    max_file_bytes: int,
    max_bytes: int,
    quiet: bool,
) -> None:
    """Write one Batch API request line per document in PATHS (one per part for a long page):
    {"custom_id", "method", "url", "body"}, where body is exactly what `extract --backend
    openai` sends first. Directories are searched as by extract.

    custom_id is the document's sha256 (first 16 hex) and the part: stable across runs.
    Beside the requests, REQUESTS.manifest.jsonl records which document and part each
    custom_id asks about, and the options, so that ingest can rebuild the records. No server
    is asked. Prints the request files written. Exit status 1 when an input could not be read
    (it is left out).
    """
    from extractor.llm.batch import prepare
    from extractor.llm.protocol import RequestSettings

    files = iter_input_paths(paths)
    given: dict[str, Any] = {
        "model": model,
        "base_url": base_url,
        "mode": mode,
        "temperature": temperature,
    }
    settings = RequestSettings.parse(
        needs="batch prepare", **{k: v for k, v in given.items() if v is not None}
    )
    result = prepare(
        files,
        output,
        settings,
        max_requests=max_requests,
        max_file_bytes=max_file_bytes,
        max_bytes=max_bytes,
        on_error=lambda source, err: _err(f"{source}: {err.message}"),
    )
    for path in result.files:
        click.echo(str(path))
    if not quiet:
        _err(
            f"{result.documents} documents, {result.requests} requests in "
            f"{len(result.files)} file{'s' * (len(result.files) != 1)}; "
            f"manifest {result.manifest}"
        )
    if not files:
        _err("no supported files (.txt, .html) found in the given paths")
    sys.exit(1 if result.failed else 0)


@batch_.command(
    name="submit",
    context_settings=CONTEXT_SETTINGS,
    short_help="Upload request files and create their batches.",
)
@click.argument(
    "requests", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the batch ids are kept (default: REQUESTS.batches.json beside the first).",
)
@click.option(
    "--base-url",
    callback=remember_base_url,
    help="Server URL (default: $OPENAI_BASE_URL, else OpenAI with $OPENAI_API_KEY).",
)
def batch_submit(requests: tuple[Path, ...], state_file: Path | None, base_url: str | None) -> None:
    """Upload each request file in REQUESTS and create a batch for it (endpoint
    /v1/chat/completions, window 24h). Prints each batch id; the ids are saved in the state
    file after each one. A file already submitted (same bytes, batch not failed) is skipped.
    """
    from extractor.llm.batch import open_client, submit
    from extractor.llm.protocol import server_url

    for path in requests:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    with open_client(base_url, needs="batch submit") as client:
        result = submit(
            client, list(requests), state_file=state_file, base_url=server_url(base_url)
        )
    for entry in result.submitted:
        click.echo(f"{entry.batch_id}\t{entry.request_file}\t{entry.requests} requests")
    for entry in result.skipped:
        _err(f"{entry.request_file}: already submitted as {entry.batch_id} ({entry.status})")
    _err(f"state saved in {result.state}")


def _state_and_client(
    state_file: Path | None, base_url: str | None, needs: str
) -> tuple[Path, BatchState, openai.OpenAI]:
    """The state file (given, or the one in the current directory), its contents, and a
    client for the server its batches live on (unless --base-url says otherwise)."""
    from extractor.llm.batch import BatchState, find_state, open_client, state_server

    path = state_file or find_state()
    state = BatchState.load(path)
    return path, state, open_client(state_server(state, base_url), needs=needs)


@batch_.command(
    name="status",
    context_settings=CONTEXT_SETTINGS,
    short_help="Show each batch's status and request counts.",
)
@click.argument("state_file", metavar="[STATE]", required=False, type=click.Path(path_type=Path))
@_BASE_URL_SERVER_OPTION
def batch_status(state_file: Path | None, base_url: str | None) -> None:
    """Print each batch's status and request counts (STATE: the state file submit wrote,
    default the one *.batches.json in the current directory).

    Exit status 1 when a batch failed, expired or was cancelled.
    """
    from extractor.llm.batch import UNSUCCESSFUL, refresh

    path, state, client = _state_and_client(state_file, base_url, "batch status")
    with client:
        refresh(client, state, path)
    for entry in state.batches:
        click.echo(f"{entry.batch_id}\t{entry.status}\t{entry.counts()}\t{entry.request_file}")
        for message in entry.errors:
            _err(f"{entry.batch_id}: {message}")
    sys.exit(1 if any(e.status in UNSUCCESSFUL for e in state.batches) else 0)


@batch_.command(
    name="collect",
    context_settings=CONTEXT_SETTINGS,
    short_help="Download the results of finished batches.",
)
@click.argument("state_file", metavar="[STATE]", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the results (BATCH.output.jsonl, BATCH.errors.jsonl, the manifest).",
)
@_BASE_URL_SERVER_OPTION
def batch_collect(state_file: Path | None, out_dir: Path, base_url: str | None) -> None:
    """Download the output and error files of every finished batch, and a copy of the
    manifest, into a directory; prints the result files.

    Exit status 1 when a batch is not finished yet (collect again later), or failed, expired
    or was cancelled (what it answered is still downloaded).
    """
    from extractor.llm.batch import collect

    path, state, client = _state_and_client(state_file, base_url, "batch collect")
    with client:
        result = collect(client, state, path, out_dir)
    for file in result.files:
        click.echo(str(file))
    for entry in result.pending:
        _err(f"{entry.batch_id}: {entry.status} ({entry.counts()}); collect again later")
    for entry in result.unsuccessful:
        _err(
            f"{entry.batch_id}: {entry.status}{': ' if entry.errors else ''}{'; '.join(entry.errors)}"
        )
    sys.exit(1 if result.pending or result.unsuccessful else 0)


@batch_.command(
    name="ingest",
    context_settings=CONTEXT_SETTINGS,
    short_help="Turn batch results into records, as extract does.",
)
@click.argument(
    "results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@records_output_option(resume=False)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The manifest prepare wrote (default: the one *.manifest.jsonl beside RESULTS).",
)
@cache_options(
    dir_help="The cache valid answers are stored in, where extract finds them (default: the user "
    "cache directory).",
    no_cache_help="Do not write the cache.",
)
@max_bytes_option("Documents larger than this get a record with an error.")
@quiet_option()
def batch_ingest(
    results: tuple[Path, ...],
    output: Path | None,
    append: bool,
    overwrite: bool,
    manifest: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    max_bytes: int,
    quiet: bool,
) -> None:
    """Turn Batch API result lines (output and error files) into records, through the same
    parsing, grounding, checker and cache as `extract --backend openai`.

    There are no re-asks: an answer that does not parse gives a record with an error
    (InvalidAnswer); one whose quotes are not found or do not support their values is kept
    with its issues. A document with no result in RESULTS is counted on stderr, not written.
    Exit status 1 when a record has an error or a line is not understood.
    """
    from extractor.llm.batch import find_manifest, ingest
    from extractor.llm.cache import ResultCache

    existing = existing_output(output, append=append, overwrite=overwrite)
    manifest = manifest or find_manifest(list(results))
    if output is not None and not is_stdout(output):
        check_output(output, existing, [*results, manifest])
    with contextlib.ExitStack() as stack:
        cache = None if no_cache else stack.enter_context(ResultCache(cache_dir))
        out = stack.enter_context(open_records(output, existing))

        def write(record: Record) -> None:
            out.write(record)
            if record.error is not None and not quiet:
                _err(f"{record.source}: {record.error.message}")

        report = ingest(list(results), manifest, write, cache=cache, max_bytes=max_bytes)
    for where in report.unreadable[:10]:
        _err(f"{where}: not a Batch API result line")
    for custom_id in report.unknown[:10]:
        _err(f"{custom_id}: not in the manifest {manifest}")
    if report.missing:
        _err(f"{report.missing} documents of the manifest have no result in these files")
    if not quiet:
        _err(report.summary.line())
    sys.exit(1 if report.failed else 0)


# --- review and export --------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Another run of the same documents (say a model against the rules): mark each value "
    "that differs, with both values.",
)
@click.option(
    "--gold",
    "gold_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of gold files: mark each value that differs from gold, with both values.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (overwritten).",
)
@click.option(
    "--base-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where relative sources are found (default: the current directory, then the results file's).",
)
@click.option(
    "--per-page",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Documents per HTML file; more are written as parts NAME-2.html, NAME-3.html... "
    "linked to each other.",
)
def review(
    results: Path,
    against: Path | None,
    gold_dir: Path | None,
    output: Path,
    base_dir: Path | None,
    per_page: int,
) -> None:
    """Write one self-contained HTML page to review RESULTS: each document's text with every
    evidence span highlighted by field, its event table, the checker's issues on the values they
    concern and, with --against or --gold, every value that differs.

    The page opens from disk, offline: no server, nothing loaded from the network. Page text is
    shown as text and never run. Keys j/k (or down/up) move between documents.
    """
    from .review import write_review

    parts = write_review(
        results, output, against=against, gold_dir=gold_dir, base_dir=base_dir, per_page=per_page
    )
    for part in parts:
        plural = "" if part.documents == 1 else "s"
        _err(f"wrote {part.path} ({_size(part.size)}, {part.documents} document{plural})")
    if len(parts) > 1:
        _err(
            f"{sum(p.documents for p in parts)} documents in {len(parts)} parts of up to {per_page}"
        )


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--csv", "fmt", flag_value="csv", help="Write CSV with a header row.")
@click.option("--jsonl", "fmt", flag_value="jsonl", help="Write one JSON object per line.")
@click.option("--quotes", is_flag=True, help="Add a <field>_quote column with each value's quote.")
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="The file to write (overwritten); - for standard output.",
)
def export(results: Path, fmt: str | None, quotes: bool, output: Path) -> None:
    """Write one row per event of RESULTS: source, event (index), kind, every field, the page's
    current_rating, and the number of error and warning issues about the event or the page.

    A record without events has no row. Dates are YYYY-MM-DD, announced is true/false, a
    missing value is an empty cell (CSV) or null (JSONL).
    """
    from .export import write_csv, write_jsonl

    if fmt is None:
        raise UsageError("say which format: --csv or --jsonl")
    write = write_csv if fmt == "csv" else write_jsonl
    records = load_records(results)
    if str(output) == "-":
        summary = write(records, sys.stdout, quotes=quotes)
        sys.stdout.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8", newline="") as out:
            summary = write(records, out, quotes=quotes)
    _err(f"wrote {summary.line()}" + ("" if str(output) == "-" else f" to {output}"))


# --- entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: our usage errors exit 2 with one line; no tracebacks for users.

    Start-up and exit are kept short, since a model run pays them on every call: the garbage
    collector is off while the modules load (openai alone makes hundreds of thousands of
    long-lived objects, which every collection would walk again; see :func:`_heap_settled`),
    and as a command (not called from Python) the process leaves at once when done, after
    flushing, rather than collect a heap it is about to drop.
    """
    gc.disable()
    try:
        _main(argv)
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    finally:
        _heap_settled()
    if argv is None and "pytest" not in sys.modules:
        _leave(code)
    if code:  # called from Python: a success returns
        sys.exit(code)


def _heap_settled() -> None:
    """What is loaded now lives as long as the process: keep it out of every collection
    (``gc.freeze``), then collect as usual."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _leave(code: int | str | None) -> None:
    """Exit now, with ``code`` as ``sys.exit`` reads it, after flushing what was written;
    without the interpreter's teardown (every file and backend is closed by then)."""
    if isinstance(code, str):
        _err(code)
        code = 1
    with contextlib.suppress(Exception):
        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be written anyway
            code = code or 1
    os._exit(code or 0)


def _main(argv: Sequence[str] | None = None) -> None:
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="cqc-extract",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        _err("aborted")
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except OutputError as err:
        if isinstance(err.__cause__, BrokenPipeError):  # `| head`: the reader has had enough
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports a pipe's writer killed by it
        _err(f"error: {redact_text(str(err))}")
        sys.exit(2)
    except UsageError as err:
        _err(f"error: {redact_text(str(err))}")
        sys.exit(2)
    except ExtractorError as err:
        if os.environ.get("CQC_EXTRACT_RAISE"):
            raise
        _err(f"error: {redact_text(str(err))}")
        sys.exit(1)
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except Exception as err:
        if os.environ.get("CQC_EXTRACT_RAISE") or "pytest" in sys.modules:
            raise
        _err(
            f"internal error: {type(err).__name__}: {redact_text(str(err))} "
            "(set CQC_EXTRACT_RAISE=1 for a traceback)"
        )
        sys.exit(1)
