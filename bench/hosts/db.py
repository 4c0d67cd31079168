"""The database side of the several-hosts run: prepare (an API client's token), and count (what the
load says it created against what the database holds, and the acknowledgements still unsent).

Run with the hosts' environment: `python bench/hosts/db.py prepare | count <load.json> <tickets before> | outbox <last ticket id>`.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from channels_intake.models import InboundItem, OutboundMessage  # noqa: E402
from complaints.models import Attachment, Ticket  # noqa: E402


def prepare() -> None:
    user, _ = User.objects.get_or_create(username="hosts-load")
    user.groups.add(Group.objects.get(name="Integrations"))
    token, _ = Token.objects.get_or_create(user=user)
    last = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print(json.dumps({"token": token.key, "tickets_before": Ticket.objects.count(), "last_ticket": last}))


def count(load_path: str, tickets_before: int) -> None:
    load = json.loads(Path(load_path).read_text())
    submissions = [c for c in load["created"] if c.startswith("web:")]  # the intake's source ids
    references = [c for c in load["created"] if not c.startswith("web:")]
    web_tickets = set(
        InboundItem.objects.filter(
            channel="web", source_id__in=submissions, ticket__isnull=False
        ).values_list("ticket_id", flat=True)
    )
    api_tickets = set(Ticket.objects.filter(reference__in=references).values_list("pk", flat=True))
    print(
        json.dumps(
            {
                "responses_created": len(load["created"]),
                "web_form_tickets_found": len(web_tickets),
                "api_tickets_found": len(api_tickets),
                "tickets_added": Ticket.objects.count() - tickets_before,
                "attachments": Attachment.objects.filter(ticket_id__in=web_tickets).count(),
                "attachment_names": list(
                    Attachment.objects.filter(ticket_id__in=web_tickets).values_list("file", flat=True)
                ),
            }
        )
    )


def outbox(last_ticket: int) -> None:
    """The outbound messages of the tickets this run opened, by state."""
    states = dict.fromkeys(OutboundMessage.State.values, 0)
    for state in OutboundMessage.objects.filter(ticket_id__gt=last_ticket).values_list("state", flat=True):
        states[state] += 1
    print(json.dumps(states))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "prepare":
        prepare()
    elif command == "count":
        count(sys.argv[2], int(sys.argv[3]))
    elif command == "outbox":
        outbox(int(sys.argv[2]))
