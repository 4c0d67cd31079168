"""Load for the several-hosts run (bench/hosts/run): customers on the web form and API clients,
spread over the web hosts round robin the way a load balancer does.

A request a host refuses or drops (the host is being stopped) is sent again, unchanged, to the
next host: the web form's submission id and the API's Idempotency-Key make the second attempt
the same ticket, never a second one. Every outcome is counted; the references of the created
tickets go to the report so the run can compare them with the database.
"""

import argparse
import itertools
import json
import re
import threading
import time
import uuid
from collections import Counter

import requests

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Load:
    def __init__(self, hosts: list[str], token: str, tag: str) -> None:
        self.hosts = hosts
        self.token = token
        self.tag = tag
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.by_host: Counter = Counter()
        self.failovers: list[dict] = []
        self.created: list[str] = []
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.sequence = itertools.count(1)

    def count(self, key: str, host: str | None = None) -> None:
        with self.lock:
            self.counts[key] += 1
            if host:
                self.by_host[f"{host} {key}"] += 1

    def web_form(self, session: requests.Session, host: str, n: int, submission: str, files: bool) -> str:
        page = session.get(f"{host}/submit/", timeout=10)
        page.raise_for_status()
        token = TOKEN.search(page.text).group(1)
        data = {
            "name": "王小明",
            "phone": "",
            "email": f"{self.tag}-{n}@example.com",
            "subject": f"{self.tag} web {n}",
            "description": "The broadband has been down since Monday; the router was restarted.",
            "consent": "on",
            "website": "",
            "submission_id": submission,
            "csrfmiddlewaretoken": token,
        }
        upload = {"files": ("photo.png", PNG, "image/png")} if files else None
        response = session.post(
            f"{host}/submit/",
            data=data,
            files=upload,
            headers={"Origin": host},
            timeout=20,
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise Failure(f"web form {response.status_code}: {response.text[:200]}")
        return f"web:{submission}"

    def api(self, session: requests.Session, host: str, n: int, key: str) -> str:
        payload = {
            "channel": "app",
            "customer": {"name": "李雷", "email": f"{self.tag}-api-{n}@example.com"},
            "subject": f"{self.tag} api {n}",
            "description": "家里宽带从周一开始无法连接，已重启路由器。",
            "kind": "complaint",
        }
        response = session.post(
            f"{host}/api/v1/tickets/",
            json=payload,
            headers={"Authorization": f"Token {self.token}", "Idempotency-Key": key},
            timeout=20,
        )
        if response.status_code not in (200, 201):
            raise Failure(f"api {response.status_code}: {response.text[:200]}")
        return response.json()["reference"]

    def one(self, sessions: dict[str, requests.Session], n: int) -> None:
        kind = "api" if n % 2 else "web"
        key = str(uuid.uuid4())
        first = (n // 2) % len(self.hosts)  # web and API alike on every host
        order = self.hosts[first:] + self.hosts[:first]
        for attempt, host in enumerate(order * 2):
            started = time.monotonic()
            try:
                if kind == "web":
                    created = self.web_form(sessions[host], host, n, key, files=n % 4 == 0)
                else:
                    created = self.api(sessions[host], host, n, key)
            except (requests.ConnectionError, requests.Timeout) as exc:
                # A stopped host: the balancer's health check would take it out; send it elsewhere.
                self.count("refused", host)
                with self.lock:
                    self.failovers.append({"host": host, "kind": kind, "error": exc.__class__.__name__})
                sessions[host] = requests.Session()
                time.sleep(0.05 * attempt)
                continue
            except (Failure, requests.HTTPError) as exc:
                self.count("error", host)
                with self.lock:
                    self.errors.append(f"{host} {exc}")
                return
            with self.lock:
                self.latencies.append(time.monotonic() - started)
                self.created.append(created)
            self.count(f"{kind} created", host)
            return
        self.count("gave up")

    def worker(self, until: float) -> None:
        sessions = {host: requests.Session() for host in self.hosts}
        while time.monotonic() < until:
            self.one(sessions, next(self.sequence))


class Failure(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", required=True, help="comma-separated base URLs")
    parser.add_argument("--token", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    load = Load(args.hosts.split(","), args.token, args.tag)
    until = time.monotonic() + args.seconds
    threads = [threading.Thread(target=load.worker, args=(until,)) for _ in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(load.latencies)
    report = {
        "seconds": round(time.monotonic() - started, 1),
        "counts": dict(load.counts),
        "by_host": dict(load.by_host),
        "created": load.created,
        "errors": load.errors[:20],
        "failovers": len(load.failovers),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
    }
    with open(args.out, "w") as out:
        json.dump(report, out, indent=1)


if __name__ == "__main__":
    main()
