"""Property-based fuzzing of the REST API against its own OpenAPI schema, on a live test server.

Schemathesis generates requests from /api/schema/ for every operation, valid ones and
(for bodies and parameters) invalid ones, sends them as a supervisor would and fails on
any 5xx, any status code the schema does not document, or any response whose body or
content type does not match the schema. Examples are derandomised so CI is repeatable;
the budget keeps the whole run well under three minutes on two cores.
"""

import time

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from complaints import services
from complaints.models import Message
from tests.complaints.api_helpers import client_for, make_integration, open_ticket
from tests.factories import RootCauseFactory, SupervisorFactory

# The server thread needs committed rows; the migrations' reference data is restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Fewer examples per operation than when the API had a third of its operations: the budget holds
# with incidents, external cases, quality and the assistant added.
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}
TIME_BUDGET_SECONDS = 200


@pytest.fixture(scope="module", autouse=True)
def _clean_slate_for_serialized_rollback(django_db_setup, django_db_blocker):
    """Empty the database before the snapshot of the migrations' data is loaded back.

    A transactional test without serialized_rollback that ran earlier flushes with
    post_migrate, which re-creates content types under new ids; loading the snapshot on
    top of them would collide. Module scope runs this before the per-test database setup.
    """
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)


@pytest.fixture
def seeded_references() -> list[str]:
    """A few tickets in different states, so detail and action requests also hit real rows."""
    integration = make_integration()
    supervisor = SupervisorFactory(username="fuzz-supervisor")
    fresh = open_ticket(
        actor=integration, email="a@example.com", subject="App crashes", description="On login."
    )
    worked = open_ticket(
        actor=integration, email="b@example.com", subject="Refund late", description="Two weeks."
    )
    services.add_message(ticket_id=worked.pk, actor=supervisor, kind=Message.Kind.NOTE, body="internal")
    resolved = open_ticket(
        actor=integration, email="c@example.com", subject="Wrong item", description="Blue, not red."
    )
    services.resolve(
        ticket_id=resolved.pk,
        actor=supervisor,
        version=resolved.version,
        root_cause=RootCauseFactory(),
        steps_taken="Sent",
    )
    return [fresh.reference, worked.reference, resolved.reference]


def test_every_operation_conforms_to_the_schema(live_server, seeded_references, monkeypatch):
    # Throttling is tested elsewhere; here it would only turn the run into a stream of 429s.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        dict.fromkeys(("anon", "user", "login", "ticket_create"), "100000/minute"),
    )
    supervisor = SupervisorFactory(username="fuzzer")
    client = client_for(supervisor)
    headers = {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    failures: list[str] = []
    requests_sent = 0
    succeeded: set[str] = set()
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            # Free-form strings (a reference, a header) have no invalid form: only bodies and queries do.
            if mode == GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
                continue
            if time.monotonic() - started > TIME_BUDGET_SECONDS:
                pytest.fail(
                    f"The fuzz run overran its {TIME_BUDGET_SECONDS}s budget after {requests_sent} requests."
                )

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(generation_mode=mode),
                real=st.sampled_from([None, *seeded_references]),
            )
            def check(case, real):
                nonlocal requests_sent
                if real is not None and "reference" in (case.path_parameters or {}):
                    case.path_parameters["reference"] = real
                requests_sent += 1
                response = case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)
                if response.status_code < 300:
                    succeeded.add(case.operation.label)

            try:
                check()
            except Exception as exc:
                failures.append(f"{operation.label} [{mode}]: {exc}")

    assert not failures, "\n\n".join(failures)
    assert requests_sent > 300
    # Reads must have been exercised for real, not only refused.
    reads = {
        "GET /api/v1/tickets/",
        "GET /api/v1/tickets/{reference}/",
        "GET /api/v1/tickets/{reference}/events/",
        "GET /api/v1/stats/",
    }
    assert reads <= succeeded, reads - succeeded
