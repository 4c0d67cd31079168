"""Several hosts on this machine (issue 23): bench/hosts/run starts two web hosts and a worker host in
network namespaces sharing PostgreSQL (through PgBouncer in transaction pooling), Redis and the
object storage, stops a web host mid-load and the worker host, and counts what was lost."""

import json
import os
import shutil
import subprocess

import pytest
from django.db import connection

from tests.workers import ROOT, shared_database_url


def _namespaces_work() -> bool:
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    probe = f"hosts-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if made:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


needs_hosts = pytest.mark.skipif(
    not (_namespaces_work() and shutil.which("pgbouncer") and shutil.which("redis-server")),
    reason="needs root, ip netns, pgbouncer and redis-server (scripts/system-packages)",
)


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the hosts share PostgreSQL")
@needs_hosts
def test_two_web_hosts_and_a_worker_host_lose_nothing_when_stopped(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TEST_CELERY_BROKER_URL", "VAR_DIR"}
    }
    env |= {
        "HOSTS_DATABASE_URL": shared_database_url(),
        "HOSTS_OUT": str(tmp_path),
        "HOSTS_LOAD_SECONDS": "28",
    }
    run = subprocess.run(
        [str(ROOT / "bench" / "hosts" / "run")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report_file = tmp_path / "report.json"
    assert report_file.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(report_file.read_text())
    assert run.returncode == 0, json.dumps(report["checks"], indent=1) + run.stderr[-2000:]

    load, database = report["load"], report["database"]
    created = load["counts"].get("web created", 0) + load["counts"].get("api created", 0)
    assert created > 0 and not load["counts"].get("error")
    assert (
        database["tickets_added"]
        == created
        == database["web_form_tickets_found"] + database["api_tickets_found"]
    )
    assert load["failovers"] > 0  # the stopped host was tried and its requests went to the other
    assert report["outbox"]["queued"] == 0
    assert report["beat_lock"]["moved"]
    assert 'complaint_desk_queue_length{queue="notifications"}' in report["metrics_while_worker_down"]
    # No namespace of the run is left behind.
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "hweb1-" not in left and "hwork-" not in left
