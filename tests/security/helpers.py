"""What the red-team tests share: a victim's ticket opened the real way, signed pushes, form posts."""

import json
import uuid
from typing import Any

from channels_intake import webhooks
from complaints import services
from complaints.models import Ticket
from complaints.services import CustomerDetails

VICTIM_EMAIL = "alice@example.com"
VICTIM_PHONE = "13912345678"
SUBJECT = "Broadband down for three days"
DESCRIPTION = "My broadband has been down since Monday and the router shows a red light."
WEBHOOK_SECRET = "s3cret-webhook-key"


def victim_ticket(**kwargs: Any) -> Ticket:
    """Alice's open ticket, opened on the web form."""
    return services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=CustomerDetails(name="Alice Zhang", email=VICTIM_EMAIL, phone=VICTIM_PHONE),
        subject=SUBJECT,
        description=DESCRIPTION,
        **kwargs,
    ).ticket


def form_data(**overrides: object) -> dict:
    data = {
        "name": "Mallory",
        "phone": "",
        "email": VICTIM_EMAIL,
        "subject": SUBJECT,
        "description": DESCRIPTION,
        "consent": "on",
        "website": "",
        "submission_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def push(client: Any, payload: dict, *, slug: str = "app", key: str | None = None) -> Any:
    import time

    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    return client.post(
        f"/intake/webhooks/{slug}/",
        body,
        content_type="application/json",
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_SIGNATURE=webhooks.sign(secret=WEBHOOK_SECRET, timestamp=timestamp, body=body),
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )
