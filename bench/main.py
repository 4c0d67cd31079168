"""`make bench`: load (once) a million tickets into PostgreSQL, measure, print and write the results.

Steps: wrk installed if missing; the bench database created, migrated and loaded with
seed_demo unless a marker says it already holds BENCH_TICKETS tickets made with the bench's
keys; static files collected (DEBUG is off); then the in-process phases (bench.measure), the
load test (bench.loadtest), django-helpdesk's side (bench/helpdesk/run, unless
BENCH_SKIP_HELPDESK=1), and the table (bench.report). See bench/README.md for every knob.
"""

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from . import loadtest, report
from .config import BENCH_DIR, PYTHON, RESULTS_DIR, ROOT, BenchSettings, bench_settings, django_env, keys

MARKER_TABLE = "bench_dataset"


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def ensure_wrk() -> None:
    """wrk from the system packages (Debian: apt-get install wrk), installed only when missing."""
    if shutil.which("wrk"):
        return
    log("installing wrk (apt-get)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)  # noqa: S603


def _key_fingerprint() -> str:
    key = keys()
    return hashlib.sha256(f"{key['field_key']}|{key['blind_index_key']}".encode()).hexdigest()[:16]


def _marker(bench: BenchSettings) -> dict[str, Any] | None:
    try:
        with psycopg.connect(bench.database_url) as conn:
            row = conn.execute(
                f"SELECT tickets, load_seconds, key_fingerprint, loaded_at FROM {MARKER_TABLE}"  # noqa: S608
            ).fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return None
    return {"tickets": row[0], "load_seconds": row[1], "key_fingerprint": row[2], "loaded_at": row[3]}


def manage(bench: BenchSettings, *args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=django_env(bench), check=True)  # noqa: S603


def ensure_dataset(bench: BenchSettings) -> dict[str, Any]:
    """The bench database with its tickets: reused when its marker matches, else made from scratch."""
    marker = _marker(bench)
    if marker and marker["tickets"] == bench.tickets and marker["key_fingerprint"] == _key_fingerprint():
        log(
            f"reusing {bench.database}: {marker['tickets']:,} tickets loaded {marker['loaded_at']:%Y-%m-%d %H:%M}"
        )
        manage(bench, "migrate", "--verbosity", "0")
        # What autovacuum would have done after the last run's restores: rows rewritten since
        # then turn index-only scans into heap visits, and reruns would drift.
        with psycopg.connect(bench.database_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        return {**marker, "note": "loaded earlier, reused"}
    log(f"creating {bench.database} and loading {bench.tickets:,} tickets with seed_demo (bulk inserts)")
    with psycopg.connect(f"{bench.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench.database}"')
        conn.execute(f'CREATE DATABASE "{bench.database}"')
    manage(bench, "migrate", "--verbosity", "0")
    started = time.monotonic()
    manage(bench, "seed_demo", "--tickets", str(bench.tickets), "--batch-size", "5000", "--seed", "1")
    seconds = time.monotonic() - started
    with psycopg.connect(bench.database_url) as conn:
        conn.execute(
            f"CREATE TABLE {MARKER_TABLE} (tickets integer, load_seconds double precision, "
            "key_fingerprint text, loaded_at timestamptz)"
        )
        conn.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, now())",  # noqa: S608
            [bench.tickets, seconds, _key_fingerprint()],
        )
    with psycopg.connect(bench.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"tickets": bench.tickets, "load_seconds": seconds, "note": "loaded by this run"}


def phase(bench: BenchSettings, name: str, **env: str) -> dict[str, Any]:
    log(f"phase {name}")
    subprocess.run(  # noqa: S603
        [str(PYTHON), "-m", "bench.measure", name], cwd=ROOT, env=django_env(bench, **env), check=True
    )
    written = RESULTS_DIR / f"{name}.json"
    return json.loads(written.read_text()) if written.exists() else {}


def surveys_phase(bench: BenchSettings) -> dict[str, Any]:
    """The survey sender against aiosmtpd's Sink, a real SMTP server on loopback that keeps nothing."""
    port = str(bench.port + 1)
    sink = subprocess.Popen(  # noqa: S603
        [str(PYTHON), "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"]
    )
    try:
        time.sleep(1)
        return phase(bench, "surveys", EMAIL_URL=f"smtp://127.0.0.1:{port}")
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def helpdesk(bench: BenchSettings) -> dict[str, Any] | None:
    """django-helpdesk's figures: bench/helpdesk/run (its own virtualenv) is run when present.

    With BENCH_SKIP_HELPDESK=1 it is not run, but figures it wrote earlier are still compared.
    """
    runner = BENCH_DIR / "helpdesk" / "run"
    out = RESULTS_DIR / "helpdesk.json"
    if os.environ.get("BENCH_SKIP_HELPDESK") != "1" and runner.exists():
        log("django-helpdesk side (bench/helpdesk/run)")
        env = {**os.environ, "BENCH_TICKETS": str(bench.tickets), "BENCH_RUNS": str(bench.runs)}
        done = subprocess.run([str(runner)], cwd=ROOT, env=env, check=False)  # noqa: S603
        if done.returncode != 0:
            log(f"bench/helpdesk/run failed ({done.returncode}); no comparison")
            return None
    return json.loads(out.read_text()) if out.exists() else None


def flush_broker(bench: BenchSettings) -> None:
    """Drop the tasks the measurements queued (no worker runs during the bench) from the bench's Redis db."""
    env = django_env(bench)
    if "REDIS_URL" in env:
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(bench_settings().database_url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {server}; load average at the end "
        f"{os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    bench = bench_settings()
    started = datetime.now(UTC)
    ensure_wrk()
    dataset = ensure_dataset(bench)
    manage(bench, "collectstatic", "--noinput", "--verbosity", "0")
    fixtures = phase(bench, "fixtures")
    metrics: list[dict[str, Any]] = []
    plans: dict[str, Any] = {}
    wanted = os.environ.get("BENCH_ONLY", "pages,jobs,surveys,load").split(",")
    for name in ("pages", "jobs", "surveys"):
        if name in wanted:
            result = surveys_phase(bench) if name == "surveys" else phase(bench, name)
            metrics += result["metrics"]
            plans.update(result["plans"])
    if "load" in wanted:
        log(f"load test: wrk against gunicorn ({bench.workers} workers), {bench.duration} s per run")
        phase(bench, "mark")
        try:
            metrics += [m.as_dict() for m in loadtest.measure(bench, fixtures["token"])]
        finally:
            phase(bench, "restore")
    flush_broker(bench)
    if set(wanted) != {"pages", "jobs", "surveys", "load"}:
        metrics, plans = _carried_over(metrics, plans, bench.database, dataset["tickets"])
    results = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": bench.database,
        "tickets": dataset["tickets"],
        "load_seconds": dataset["load_seconds"],
        "load_note": dataset["note"],
        "machine": machine(),
        "metrics": metrics,
        "plans": plans,
        "helpdesk": helpdesk(bench),
    }
    print()
    print(report.write(results))
    failed = [m["name"] for m in metrics if m.get("passed") is False]
    print(f"\n{len(failed)} target(s) missed" + (": " + "; ".join(failed) if failed else ""))


def _carried_over(
    metrics: list[dict[str, Any]], plans: dict[str, Any], database: str, tickets: int
) -> tuple[list, dict]:
    """A partial run (BENCH_ONLY) keeps the other metrics of the previous latest.json of the same
    database and size, marked as such."""
    previous_path = RESULTS_DIR / "latest.json"
    if not previous_path.exists():
        return metrics, plans
    previous = json.loads(previous_path.read_text())
    if previous.get("database") != database or previous.get("tickets") != tickets:
        return metrics, plans
    fresh = {m["name"]: m for m in metrics}
    merged = []
    for old in previous.get("metrics", []):
        if old["name"] in fresh:
            merged.append(fresh.pop(old["name"]))
        else:
            note = f"(from the run finished {previous.get('finished_at')}) {old.get('note', '')}".strip()
            merged.append({**old, "note": note})
    return merged + list(fresh.values()), {**previous.get("plans", {}), **plans}


if __name__ == "__main__":
    sys.exit(main())
