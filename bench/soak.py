"""Soak: a steady mixed load from outside for N minutes against gunicorn (production settings), a real
Celery worker and beat, on a database of its own; reports errors, p95 per minute and per kind of
request, and the memory (RSS) of every process over time.

    make soak                               # 10 minutes (SOAK_MINUTES=2 make soak for a trial)
    .venv/bin/python -m bench.soak --minutes 10 --out bench/results/soak.json

The load, each actor a thread pacing itself to a fixed rate (so the offered load does not follow
the server's speed): agents log in to the desk, page the queue, open a ticket and reply through the
reply form; customers submit the web form and track their complaint with its reference; API
clients create tickets and list them. The database (SOAK_DB, default soak_desk) is dropped and
created for each run; Redis (SOAK_REDIS_URL, default database 12, keys under soak:) is broker and cache
when it answers, else the embedded file-system broker and file cache. Passes with 0 errors, the
last minute's p95 at most 20 % above the first one's, and each process's RSS grown by at most 20 % from
its sample after the first minute (start-up and warm-up excluded) to the last.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from .config import RESULTS_DIR, ROOT, bench_settings, django_env
from .stats import percentile

PASSWORD = "soak-agent-pass-2026"  # noqa: S105 - a throwaway account of the soak's own database
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The ticket page's action forms are prefixed with their action's name (reply-version, reply-body).
VERSION_RE = re.compile(r'name="reply-version" value="(\d+)"')
REFERENCE_RE = re.compile(r"CMP-[0-9A-HJKMNP-TV-Z]{8}")

SEED = f"""
from rest_framework.authtoken.models import Token
from tests.factories import SupervisorFactory
for n in range(4):
    user = SupervisorFactory(username=f"soak-agent-{{n}}")
    user.set_password({PASSWORD!r})
    user.save()
    Token.objects.get_or_create(user=user, key=f"{{n:040d}}")
print("soak: seeded the agents")
"""


@dataclass
class Sample:
    minute: int
    kind: str
    ms: float
    ok: bool


@dataclass
class Recorder:
    started: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, kind: str, expected: int, do: Any) -> requests.Response | None:
        before = time.monotonic()
        try:
            response = do()
            ok = response.status_code == expected
            detail = f"{response.status_code} {response.text[:200]!r}"
        except requests.RequestException as exc:
            response, ok, detail = None, False, repr(exc)
        elapsed = (time.monotonic() - before) * 1000
        with self.lock:
            self.samples.append(Sample(int((before - self.started) // 60), kind, elapsed, ok))
            if not ok and len(self.errors) < 50:
                self.errors.append(f"{kind}: {detail}")
        return response if ok else None


def paced(stop: threading.Event, period: float, step: Any) -> None:
    """Run step every `period` seconds until stopped (a slow step is not made up for)."""
    next_at = time.monotonic()
    while not stop.is_set():
        step()
        next_at += period
        pause = next_at - time.monotonic()
        if pause > 0:
            stop.wait(pause)
        else:
            next_at = time.monotonic()


def customer(base: str, rec: Recorder) -> None:
    session = requests.Session()
    page = rec.call("customer form", 200, lambda: session.get(f"{base}/submit/", timeout=30))
    if page is None:
        return
    email = f"soak-{uuid.uuid4().hex[:10]}@example.com"
    data = {
        "csrfmiddlewaretoken": CSRF_RE.search(page.text).group(1),
        "name": "王小明",
        "email": email,
        "subject": "宽带断网",
        "description": "家里的宽带从周一开始就断了，请尽快处理。",
        "consent": "on",
        "website": "",
        "submission_id": str(uuid.uuid4()),
    }
    post = lambda: session.post(f"{base}/submit/", data=data, allow_redirects=False, timeout=30)  # noqa: E731
    submitted = rec.call("customer submit", 302, post)
    if submitted is None:
        return
    done_url = base + submitted.headers["Location"]
    done = rec.call("customer done", 200, lambda: session.get(done_url, timeout=30))
    found = REFERENCE_RE.search(done.text) if done is not None else None
    if found is None:
        return
    track = rec.call("customer track form", 200, lambda: session.get(f"{base}/track/", timeout=30))
    if track is None:
        return
    form = {"csrfmiddlewaretoken": CSRF_RE.search(track.text).group(1), "reference": found.group(0)}
    form["contact"] = email
    rec.call("customer track", 200, lambda: session.post(f"{base}/track/", data=form, timeout=30))


class Agent:
    def __init__(self, base: str, rec: Recorder, n: int) -> None:
        self.base, self.rec, self.page, self.n = base, rec, 0, n
        self.session = requests.Session()
        login = self.session.get(f"{base}/accounts/login/", timeout=30)
        data = {
            "csrfmiddlewaretoken": CSRF_RE.search(login.text).group(1),
            "username": f"soak-agent-{n}",
            "password": PASSWORD,
        }
        done = self.session.post(f"{base}/accounts/login/", data=data, allow_redirects=False, timeout=30)
        if done.status_code != 302:
            raise RuntimeError(f"agent {n} could not log in: {done.status_code}")

    def step(self) -> None:
        self.page = self.page % 5 + 1
        url = f"{self.base}/desk/?queue=all&page={self.page}"
        queue = self.rec.call("agent queue", 200, lambda: self.session.get(url, timeout=30))
        references = REFERENCE_RE.findall(queue.text) if queue is not None else []
        if not references:
            return
        # Each agent its own ticket of the page: two agents replying to one ticket at once is a 409.
        ticket_url = f"{self.base}/desk/tickets/{references[(self.n * 7) % len(references)]}/"
        ticket = self.rec.call("agent ticket", 200, lambda: self.session.get(ticket_url, timeout=30))
        if ticket is None:
            return
        version = VERSION_RE.search(ticket.text)
        if version is None:  # a page without its reply form is an error too, not a skipped step
            self.rec.call("agent reply", 302, lambda: ticket)
            return
        data = {
            "csrfmiddlewaretoken": CSRF_RE.search(ticket.text).group(1),
            "reply-version": version.group(1),
            "reply-body": "我们已派工程师上门检查线路。",
        }

        def reply() -> requests.Response:
            return self.session.post(
                f"{ticket_url}actions/reply/", data=data, allow_redirects=False, timeout=30
            )

        self.rec.call("agent reply", 302, reply)


def api_client(base: str, rec: Recorder, n: int) -> None:
    headers = {"Authorization": f"Token {n:040d}"}
    body = {
        "customer": {"name": "李雷", "email": f"api-{uuid.uuid4().hex[:10]}@example.com"},
        "subject": "App login fails",
        "description": "The app says my password is wrong since the update.",
        "channel": "app",
    }
    create = lambda: requests.post(f"{base}/api/v1/tickets/", json=body, headers=headers, timeout=30)  # noqa: E731
    rec.call("api create", 201, create)
    listing = lambda: requests.get(f"{base}/api/v1/tickets/?page_size=25", headers=headers, timeout=30)  # noqa: E731
    rec.call("api list", 200, listing)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """The process and all its children (gunicorn's and Celery's workers), from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def prepare_database(url: str, name: str, env: dict[str, str]) -> None:
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate = [sys.executable, "manage.py", "migrate", "--verbosity", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own argv
    # Production settings serve hashed static names from the manifest collectstatic writes.
    static = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(static, cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([sys.executable, "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True)  # noqa: S603


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    out = (logs / f"{name}.log").open("w")
    return subprocess.Popen(  # noqa: S603 - our own argv
        argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def summarise(rec: Recorder, memory: dict[str, list[tuple[float, int]]], minutes: int) -> dict[str, Any]:
    by_minute: dict[int, list[Sample]] = defaultdict(list)
    for sample in rec.samples:
        if sample.minute < minutes:
            by_minute[sample.minute].append(sample)
    per_minute = [
        {
            "minute": minute + 1,
            "requests": len(samples),
            "errors": sum(not s.ok for s in samples),
            "p50_ms": round(percentile([s.ms for s in samples], 0.5), 1),
            "p95_ms": round(percentile([s.ms for s in samples], 0.95), 1),
        }
        for minute, samples in sorted(by_minute.items())
    ]
    kinds: dict[str, list[float]] = defaultdict(list)
    for sample in rec.samples:
        kinds[sample.kind].append(sample.ms)
    first, last = per_minute[0]["p95_ms"], per_minute[-1]["p95_ms"]
    rss = {}
    for name, points in memory.items():
        settled = [kib for at, kib in points if at >= 60] or [kib for _at, kib in points]
        rss[name] = {
            "first_kib": points[0][1],
            "after_first_minute_kib": settled[0],
            "last_kib": points[-1][1],
            "max_kib": max(kib for _at, kib in points),
            "growth_after_first_minute_pct": round(100 * (settled[-1] - settled[0]) / max(settled[0], 1), 1),
        }
    errors = sum(m["errors"] for m in per_minute)
    drift = round(100 * (last - first) / first, 1) if first else 0.0
    return {
        "minutes": minutes,
        "requests": sum(m["requests"] for m in per_minute),
        "errors": errors,
        "error_samples": rec.errors[:20],
        "per_minute": per_minute,
        "p95_first_vs_last_pct": drift,
        "p95_by_kind_ms": {k: round(percentile(v, 0.95), 1) for k, v in sorted(kinds.items())},
        "rss": rss,
        "memory_samples": dict(memory),
        "passed": errors == 0
        and drift <= 20
        and all(r["growth_after_first_minute_pct"] <= 20 for r in rss.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=int(os.environ.get("SOAK_MINUTES", "10")))
    parser.add_argument("--out", default=os.environ.get("SOAK_OUT", str(RESULTS_DIR / "soak.json")))
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--customers", type=int, default=2)
    parser.add_argument("--api-clients", type=int, default=1)
    parser.add_argument("--period", type=float, default=2.0, help="seconds between two steps of one actor")
    args = parser.parse_args()
    # A SIGTERM (make, timeout) still runs the clean-up below: the servers live in their own sessions.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))

    name = os.environ.get("SOAK_DB", "soak_desk")
    bench = bench_settings()
    bench = type(bench)(
        **{
            **bench.__dict__,
            "database": name,
            "port": int(os.environ.get("SOAK_PORT", "8785")),
            "redis_url": os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/12"),
        }
    )
    # Every simulated customer comes from 127.0.0.1: the per-address track limit would refuse them.
    env = django_env(
        bench,
        EMAIL_URL="dummy://",
        PYTHONUNBUFFERED="1",
        BROKER_KEY_PREFIX="soak:",
        TRACK_ATTEMPTS_PER_IP="1000000000",
    )
    logs = ROOT / "var" / "soak"
    logs.mkdir(parents=True, exist_ok=True)
    print(
        f"soak: database {name}, broker {env.get('REDIS_URL') or 'file system'}; logs in {logs}", flush=True
    )
    prepare_database(bench.database_url, name, env)

    base = f"http://127.0.0.1:{bench.port}"
    processes = {
        "gunicorn": start(
            "gunicorn",
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{bench.port}"),
                *("--workers", str(bench.workers), "--timeout", "60", "--log-level", "warning"),
            ],
            env,
            logs,
        ),
        "worker": start(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
            ],
            env,
            logs,
        ),
        "beat": start(
            "beat",
            [
                *(sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING"),
                *("-s", str(logs / "celerybeat-schedule")),
            ],
            env,
            logs,
        ),
    }
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base}/submit/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 90 s (see {logs}/gunicorn.log)")
            time.sleep(0.5)
        rec = Recorder(started=time.monotonic())
        stop = threading.Event()
        for _ in range(args.customers * 3):
            customer(base, rec)  # a few tickets for the agents' queue before they start
        agents = [Agent(base, rec, n) for n in range(args.agents)]
        rec.samples.clear()
        rec.started = time.monotonic()
        steps = [lambda: customer(base, rec) for _ in range(args.customers)]
        steps += [agent.step for agent in agents]
        steps += [lambda n=n: api_client(base, rec, n) for n in range(args.api_clients)]
        threads = [
            threading.Thread(target=paced, args=(stop, args.period, step), daemon=True) for step in steps
        ]
        for thread in threads:
            thread.start()
        memory: dict[str, list[tuple[float, int]]] = defaultdict(list)
        end = rec.started + args.minutes * 60
        while time.monotonic() < end:
            at = round(time.monotonic() - rec.started, 1)
            for label, process in processes.items():
                for index, pid in enumerate(sorted(descendants(process.pid))):
                    if kib := rss_kib(pid):
                        memory[f"{label}[{index}]" if index else label].append((at, kib))
            print(f"soak: {at:.0f}s, {len(rec.samples)} requests, {len(rec.errors)} errors", flush=True)
            time.sleep(min(15.0, max(end - time.monotonic(), 0)))
        stop.set()
        for thread in threads:
            thread.join(timeout=35)
    finally:
        for process in processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    report = summarise(rec, memory, args.minutes)
    report["load"] = {
        "agents": args.agents,
        "customers": args.customers,
        "api_clients": args.api_clients,
        "period_s": args.period,
        "gunicorn_workers": bench.workers,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"soak: {report['requests']} requests, {report['errors']} errors; p95 per minute (ms):")
    for minute in report["per_minute"]:
        print(
            f"  minute {minute['minute']:>2}: {minute['requests']:>5} requests, p95 {minute['p95_ms']:>7.1f}"
        )
    print(f"soak: p95 last vs first minute {report['p95_first_vs_last_pct']:+.1f} %")
    for label, figures in sorted(report["rss"].items()):
        print(
            f"  {label:<14} RSS {figures['after_first_minute_kib'] / 1024:6.1f} -> "
            f"{figures['last_kib'] / 1024:6.1f} MiB ({figures['growth_after_first_minute_pct']:+.1f} %)"
        )
    print(f"soak: {'PASSED' if report['passed'] else 'FAILED'}; figures in {out}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
