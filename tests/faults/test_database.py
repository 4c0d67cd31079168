"""PostgreSQL away for 10 s under load: the web process answers a friendly 503 page (or the API's JSON),
never a traceback or a 500; the web process and the worker come back by themselves; a customer who
sends the form again after the outage gets one ticket and one acknowledgement.

The outage is a TCP proxy in front of PostgreSQL that the web and worker processes connect through:
stopping it closes their open connections and refuses new ones, as a restarting server does."""

import contextlib
import re
import socket
import threading
import time
import uuid
from collections import Counter

import requests
from django.utils import timezone

from channels_intake.models import OutboundMessage
from tests.workers import shared_database_url

from .conftest import FAULT_CASE, free_port, record, wait_for

pytestmark = FAULT_CASE

OUTAGE_SECONDS = 10


class TcpProxy:
    """127.0.0.1:port -> 127.0.0.1:5432; stop() drops every connection and refuses new ones."""

    def __init__(self, target_port: int = 5432) -> None:
        self.port, self.target_port = free_port(), target_port
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.server: socket.socket | None = None

    def start(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _address = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        # shutdown() first: close() alone leaves a thread blocked in accept() accepting on.
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        with self.lock:
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.sockets.clear()


def form(session: requests.Session, url: str) -> str:
    page = session.get(f"{url}/submit/", timeout=30)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def post(
    session: requests.Session, url: str, token: str, email: str, submission_id: str
) -> requests.Response:
    data = {
        "csrfmiddlewaretoken": token,
        "name": "李雷",
        "email": email,
        "subject": "No signal",
        "description": f"No signal at home since yesterday ({email}).",
        "consent": "on",
        "website": "",
        "submission_id": submission_id,
    }
    return session.post(f"{url}/submit/", data=data, allow_redirects=False, timeout=30)


def test_database_away_for_ten_seconds_answers_503_and_everything_resumes(procs, smtp):
    inbox, _port = smtp
    proxy = TcpProxy()
    proxy.start()
    through_proxy = re.sub(r":\d+/", f":{proxy.port}/", shared_database_url())
    common = {"DATABASE_URL": through_proxy, "CONN_MAX_AGE": "60", "OUTBOX_REQUEUE_AFTER": "3"}
    url = procs.web(**common)
    procs.worker(**common)
    procs.beat(OUTBOX_REQUEUE_INTERVAL="1", SLA_SWEEP_SECONDS="1", **common)
    started = timezone.now()

    customers = [(f"outage{n}-{uuid.uuid4().hex[:6]}@example.com", str(uuid.uuid4())) for n in range(3)]
    sessions = [requests.Session() for _ in customers]
    tokens = [form(session, url) for session in sessions]
    api = requests.Session()
    api.headers["Authorization"] = "Token " + "0" * 40

    statuses: Counter = Counter()
    proxy.stop()
    outage_ends = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < outage_ends:
        for (address, submission_id), session, token in zip(customers, sessions, tokens, strict=True):
            response = post(session, url, token, address, submission_id)
            statuses[("form", response.status_code)] += 1
            assert response.status_code == 503, response.text[:1000]
            assert "text/html" in response.headers["Content-Type"]
            assert "Traceback" not in response.text and "<h1>" in response.text
            assert response.headers["Retry-After"]
        page = requests.get(f"{url}/track/", headers={"Accept-Language": "zh-hans"}, timeout=30)
        statuses[("page", page.status_code)] += 1
        assert page.status_code == 503 and "服务暂时不可用" in page.text
        response = api.get(f"{url}/api/v1/tickets/", timeout=30)
        statuses[("api", response.status_code)] += 1
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable", response.text
        time.sleep(0.5)
    proxy.start()

    # The customers send the form again (as the 503 page asks); the web process reconnects by itself.
    for (address, submission_id), session, token in zip(customers, sessions, tokens, strict=True):
        response = post(session, url, token, address, submission_id)
        statuses[("form after", response.status_code)] += 1
        assert response.status_code == 302, response.text[:1000]
        # A double click after the outage: the same submission is one ticket.
        assert post(session, url, token, address, submission_id).status_code == 302

    acks = OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.ACKNOWLEDGEMENT, created_at__gte=started
    )
    wait_for(
        lambda: acks.filter(state=OutboundMessage.State.SENT).count() >= len(customers),
        seconds=60,
        what="the acknowledgements after the outage",
        procs=procs,
    )
    time.sleep(3)
    received = inbox.by_recipient()
    tickets = acks.values_list("ticket_id", flat=True).distinct().count()
    lost = sum(1 for address, _id in customers if received[address] == 0)
    duplicates = sum(max(received[address] - 1, 0) for address, _id in customers) + max(
        tickets - len(customers), 0
    )
    server_errors = sum(n for (_kind, status), n in statuses.items() if status >= 500 and status != 503)
    record(
        "database away 10 s",
        requests_503=sum(n for (_kind, status), n in statuses.items() if status == 503),
        server_errors=server_errors,
        lost=lost,
        duplicates=duplicates,
    )
    assert (lost, duplicates, server_errors) == (0, 0, 0), (received, tickets, statuses)
