"""Issue 24 item 6: the SLA sweep's reasons are stored as data and read in each reader's language,
whatever language the worker ran in."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from complaints.events import CodedReason, EventKind, SystemReason
from complaints.services.timeline import build_event
from complaints.timeline import event_reason
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_breach_reason_is_stored_as_a_code_and_read_in_each_language():
    with translation.override("zh-hans"):  # the worker's language
        reason = CodedReason(SystemReason.SLA_BREACHED, target="resolution", due=DUE.isoformat())
        event = build_event(TicketFactory(), None, EventKind.ESCALATED, before=0, after=1, reason=reason)
        event.save()
    event.refresh_from_db()
    assert (event.reason, event.reason_code) == ("", "sla_breached")
    with translation.override("en"):
        assert event_reason(event) == "SLA breached: Resolution was due 5 Mar 2026, 10:00."
    with translation.override("zh-hans"):
        text = event_reason(event)
    assert "2026年3月5日 10:00" in text and "SLA" in text and "Resolution" not in text
