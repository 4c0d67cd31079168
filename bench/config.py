"""Where the bench keeps things and the environment its Django processes run with.

No Django import here: the orchestrator (bench.main) and the load test use this module
before any Django process exists. Every knob is an environment variable (BENCH_*).
"""

import json
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
STATE_DIR = BENCH_DIR / ".state"
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

# Rates no load test reaches: the limits protect production, the bench measures the code behind them.
UNLIMITED_RATE = "1000000000/minute"


@dataclass(frozen=True)
class BenchSettings:
    """The bench's knobs, from BENCH_* environment variables."""

    server: str  # postgres://user@host:port, without the database name
    database: str
    tickets: int
    runs: int
    duration: int  # seconds of each wrk run
    connections: int
    workers: int
    port: int
    redis_url: str

    @property
    def database_url(self) -> str:
        return f"{self.server}/{self.database}"


def bench_settings() -> BenchSettings:
    return BenchSettings(
        server=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/"),
        database=os.environ.get("BENCH_DB", "bench_desk"),
        tickets=int(os.environ.get("BENCH_TICKETS", "1000000")),
        runs=int(os.environ.get("BENCH_RUNS", "50")),
        duration=int(os.environ.get("BENCH_DURATION", "30")),
        connections=int(os.environ.get("BENCH_CONNECTIONS", "16")),
        workers=int(os.environ.get("BENCH_WORKERS", "4")),
        port=int(os.environ.get("BENCH_PORT", "8775")),
        redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    )


def keys() -> dict[str, str]:
    """The bench's secret, encryption and blind-index keys, made once and kept in bench/.state.

    The loaded data is encrypted with them, so they live as long as the bench database.
    """
    path = STATE_DIR / "keys.json"
    if not path.exists():
        STATE_DIR.mkdir(exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "secret_key": secrets.token_urlsafe(50),
                    "field_key": Fernet.generate_key().decode(),
                    "blind_index_key": secrets.token_urlsafe(40),
                }
            )
        )
        path.chmod(0o600)
    return json.loads(path.read_text())


def redis_answers(url: str) -> bool:
    """Whether a Redis server listens where the URL points (the bench then uses it as broker and cache)."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def django_env(bench: BenchSettings, **extra: str) -> dict[str, str]:
    """The environment of every Django process of the bench: production settings (DEBUG off), over HTTP.

    Only variables config/settings.py reads; rate limits are lifted so the load test measures the code.
    """
    key = keys()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": bench.database_url,
        "DEBUG": "0",
        "SECRET_KEY": key["secret_key"],
        "FIELD_ENCRYPTION_KEYS": key["field_key"],
        "BLIND_INDEX_KEY": key["blind_index_key"],
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": f"http://127.0.0.1:{bench.port}",
        # Plain HTTP on loopback: no TLS redirect, cookies without the Secure flag.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        # The bench's own broker folder, cache, static files and media: never the demo's var/.
        "VAR_DIR": str(STATE_DIR / "var"),
        "MEDIA_ROOT": str(STATE_DIR / "var" / "media"),
        "EMAIL_URL": "dummy://",
        "LOG_LEVEL": "WARNING",
        "WEB_FORM_RATE_LIMIT": "1000000000",
        "API_TICKET_CREATE_RATE": UNLIMITED_RATE,
        "API_USER_RATE": UNLIMITED_RATE,
        "API_ANON_RATE": UNLIMITED_RATE,
        "EMAIL_SENDER_HOURLY_LIMIT": "1000000000",
        "PYTHONPATH": str(ROOT),
    }
    if redis_answers(bench.redis_url):
        env["REDIS_URL"] = bench.redis_url
    env.update(extra)
    return env
