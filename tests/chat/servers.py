"""Real ASGI server processes (daphne) for the chat's browser and Redis tests, on a database file of
their own: the test reads back what they stored through `manage.py shell`."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
DAPHNE = str(Path(PYTHON).parent / "daphne")
PASSWORD = "pass-word-123"

SEED = """
from django.contrib.auth.models import Group
from complaints.models import Category, Team, TeamMembership
from chat.models import AgentPresence
from django.contrib.auth import get_user_model
team, _ = Team.objects.get_or_create(slug="chat-desk", defaults={"name_zh": "在线客服", "name_en": "Chat desk"})
Category.objects.update_or_create(slug="chat-demo", defaults={"name_zh": "在线咨询", "name_en": "Chat questions", "default_team": team, "position": 0})
for username, first, last in [("chatagent", "Mei", "Chen"), ("chatagent2", "Jun", "Zhao")]:
    user = get_user_model().objects.create_user(username, password=%(password)r, first_name=first, last_name=last)
    user.groups.add(Group.objects.get(name="Agents"))
    TeamMembership.objects.create(team=team, user=user)
    AgentPresence.objects.create(user=user, status="online")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    """One database file and the environment that points processes at it."""

    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str, timeout: int = 180) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def query(self, code: str) -> object:
        """Run `code` (which sets `result`) in the site's database; its result as JSON."""
        script = code + "\nimport json as _json\nprint('RESULT=' + _json.dumps(result, default=str))"
        out = self.manage("shell", "-c", script)
        return json.loads(out.rsplit("RESULT=", 1)[1])

    def serve(self, port: int) -> str:
        log = open(self.folder / f"daphne-{port}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"http://127.0.0.1:{port}"
            if process.poll() is not None:
                raise RuntimeError((self.folder / f"daphne-{port}.log").read_text())
            time.sleep(0.2)
        raise RuntimeError("daphne did not start")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@contextlib.contextmanager
def chat_site(folder: Path, *, redis_url: str = "", database_url: str = "") -> Iterator[Site]:
    """A migrated database (a new SQLite file, or the empty database at `database_url`) with two chat
    agents of the "chat-desk" team (topic "chat-demo")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'db.sqlite3'}",
        "VAR_DIR": str(folder),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # DEBUG: WhiteNoise serves the static files from the apps (no collectstatic).
        "DEBUG": "1",
        "SITE_URL": "http://127.0.0.1",
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
        "CHAT_OFFER_SECONDS": "30",
    }
    site = Site(folder=folder, env=env)
    site.manage("migrate", "--noinput", "-v0")
    site.manage("shell", "-c", SEED % {"password": PASSWORD})
    try:
        yield site
    finally:
        site.stop()
