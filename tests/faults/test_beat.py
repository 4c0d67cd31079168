"""Two beats started at once: one holds the lock and schedules, the other waits; the holder killed with
SIGKILL (no release), the other takes over once the lock's time to live has run out."""

import time

import redis

from .conftest import FAULT_CASE, REDIS_DB, record, wait_for

pytestmark = FAULT_CASE

TTL = 6


def test_two_beats_one_runs_and_the_other_takes_over_after_a_kill(procs):
    key = procs.env["BROKER_KEY_PREFIX"] + "complaint-desk:beat-lock"
    client = redis.Redis.from_url(REDIS_DB)
    env = {"BEAT_LOCK_TTL": str(TTL), "OUTBOX_REQUEUE_INTERVAL": "1"}
    first, second = procs.beat("beat-a", **env), procs.beat("beat-b", **env)

    def holder() -> str:
        value = client.get(key)
        return value.decode() if value else ""

    wait_for(lambda: holder() != "", seconds=30, what="a beat taking the lock", procs=procs)
    wait_for(
        lambda: "another beat is running" in procs.log("beat-a") + procs.log("beat-b"),
        seconds=30,
        what="the other beat waiting",
        procs=procs,
    )
    running, waiting = ("beat-a", "beat-b") if f":{first.pid}:" in holder() else ("beat-b", "beat-a")
    assert f":{(first if running == 'beat-a' else second).pid}:" in holder()
    time.sleep(2)
    # Only the holder sends periodic jobs.
    assert "Sending due task" in procs.log(running)
    assert "Sending due task" not in procs.log(waiting)

    procs.kill(running)
    killed_at = time.monotonic()
    waiting_pid = (second if waiting == "beat-b" else first).pid
    wait_for(lambda: f":{waiting_pid}:" in holder(), seconds=TTL + 10, what="the takeover", procs=procs)
    takeover = time.monotonic() - killed_at
    wait_for(lambda: "Sending due task" in procs.log(waiting), seconds=10, what="the new holder scheduling")
    record("two beats", running_at_once=1, takeover_ms=int(takeover * 1000), lock_ttl_s=TTL)
    # Within the lock's time to live plus the standby's pause between attempts (ttl / 3).
    assert takeover <= TTL + TTL / 3 + 1
