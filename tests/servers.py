"""A real ``portal serve`` in a subprocess, for tests of what only a served portal shows."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"portal serve exited with {server.returncode}:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"portal serve did not answer /ping within {STARTUP_SECONDS} s:\n{tail(log)}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process it started: its session is its own (start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(15)
    # Whatever did not stop gracefully (granian's worker processes included) is killed.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(5)


@contextlib.contextmanager
def running_portal(env: dict[str, str], log: Path, *arguments: str) -> Iterator[str]:
    """``portal serve`` on a free port with ``env``, its output in ``log``; yields its URL."""
    with served_portal(env, log, *arguments) as (url, _):
        yield url


@contextlib.contextmanager
def served_portal(env: dict[str, str], log: Path, *arguments: str) -> Iterator[tuple[str, "subprocess.Popen[bytes]"]]:
    """``portal serve`` as running_portal, yielding its URL and its process (the leader of its
    own session: a signal to its group reaches every process it started)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--port", str(port), *arguments],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(url, server, log)
            yield url, server
        finally:
            stop(server)
