"""Fixtures for the intake channels: queued deliveries run on demand, real SMTP and IMAP servers."""

from types import SimpleNamespace

import pytest

from channels_intake import outbound, tasks


@pytest.fixture(autouse=True)
def deliveries(monkeypatch):
    """send_delivery jobs queued on commit are recorded here; `run()` performs them as the worker would."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_delivery, "delay", lambda delivery_id: queued.append(delivery_id))

    def run() -> None:
        while queued:
            outbound.send_delivery(delivery_id=queued.pop(0))

    return SimpleNamespace(queued=queued, run=run)
