"""`make run` end to end: it starts web + worker + beat, answers, and leaves nothing behind on SIGTERM."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed"),
    pytest.mark.skipif(
        not (ROOT / ".venv" / "bin" / "honcho").exists(), reason="the .venv of `make` is not built"
    ),
]

# Set by the test settings in this process; the demo must start from its own defaults.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "VAR_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "TEST_CELERY_BROKER_URL",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (honcho starts its children in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_make_run_serves_and_stops_every_process_on_sigterm(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        VAR_DIR=str(tmp_path / "var"), PORT=str(port), DEMO_PASSWORD="e2e-demo-pass", DEMO_TICKETS="20"
    )
    # Set-up (a pip install when pyproject.toml changed) is not what this test times.
    subprocess.run(["make", "--no-print-directory", ".venv/.installed"], cwd=ROOT, env=env, check=True)
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    started: set[int] = set()
    try:
        # A ceiling for a busy machine (the first run migrates eight apps and seeds the demo); on an
        # idle one it answers within ~20 s.
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = get(f"{base}/healthz")
            except OSError:
                status = None
            if status == 200 and any("worker" in command_line(p) for p in descendants(process.pid)):
                break
            time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert status == 200, f"/healthz never answered 200:\n{output[-3000:]}"

        assert get(f"{base}/")[0] == 200
        code, page = get(f"{base}/admin/login/")
        assert code == 200 and 'name="username"' in page
        assert "e2e-demo-pass" in output and "agent1" in output and "supervisor" in output

        started = descendants(process.pid)
        commands = " ".join(command_line(p) for p in started)
        assert "runserver" in commands and "worker" in commands and "beat" in commands

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in started):
            time.sleep(0.2)
        left = {p: command_line(p) for p in started if alive(p)}
        assert not left, f"still running after SIGTERM: {left}"
        with pytest.raises(OSError):
            get(f"{base}/healthz")
    finally:
        # Never leave a server behind, whatever failed above.
        for pid in started | descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
