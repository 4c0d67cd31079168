"""complaints.services.merging: a duplicate closed into its target, and what can no longer merge."""

import pytest

from complaints import services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.events import EventKind
from complaints.states import Status

from .conftest import kinds, make

pytestmark = pytest.mark.django_db


def test_merge_closes_the_duplicate_and_feeds_the_target(team, agent):
    # The same customer's two tickets (different customers: tests/security/test_merge_customers.py).
    source = make(subject="Dup", description="Same parcel", team=team)
    target = make(Status.IN_PROGRESS, team=team, customer=source.customer)
    with pytest.raises(ComplaintError):
        services.merge(source_id=source.pk, target_id=source.pk, actor=agent)
    result = services.merge(source_id=source.pk, target_id=target.pk, actor=agent, reason="Same parcel")
    source.refresh_from_db()
    assert result == target
    assert source.status == Status.CLOSED and source.duplicate_of == target and source.version == 2
    target.refresh_from_db()
    assert target.version == 2
    body = target.messages.get().body
    assert source.reference in body and "Same parcel" in body
    assert kinds(source) == [EventKind.STATUS_CHANGED, EventKind.MERGED]
    assert kinds(target) == [EventKind.MERGE_RECEIVED]
    # The duplicate can be neither merged again nor reopened, and nothing merges into it.
    with pytest.raises(IllegalTransition):
        services.merge(source_id=source.pk, target_id=target.pk, actor=agent)
    with pytest.raises(IllegalTransition):
        services.merge(
            source_id=make(team=team, customer=source.customer).pk, target_id=source.pk, actor=agent
        )
    with pytest.raises(IllegalTransition):
        services.reopen(ticket_id=source.pk, actor=agent, version=2, reason="oops")
