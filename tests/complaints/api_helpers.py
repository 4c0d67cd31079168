"""Helpers shared by the API tests: clients for each kind of account and tickets opened the real way."""

from typing import Any

from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Category, Ticket
from complaints.services import CustomerDetails
from tests.factories import UserFactory


def client_for(user: Any) -> APIClient:
    """A client sending the user's API token, as an integration would."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_integration(username: str = "partner-app") -> Any:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="Integrations"))
    return user


def open_ticket(
    *,
    actor: Any = None,
    email: str = "wang@example.com",
    subject: str = "Charged twice for my plan",
    description: str = "My bill shows the monthly fee twice.",
    category: str | None = None,
    **kwargs: Any,
) -> Ticket:
    """A ticket opened through the service, as every channel does."""
    opened = services.open_ticket(
        actor=actor,
        channel=kwargs.pop("channel", Ticket.Channel.WEB),
        customer=CustomerDetails(name="王小明", email=email, phone=kwargs.pop("phone", "")),
        subject=subject,
        description=description,
        category=Category.objects.get(slug=category) if category else None,
        **kwargs,
    )
    return opened.ticket


def ticket_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "channel": "app",
        "customer": {"name": "李雷", "email": "lilei@example.com", "phone": "+86 138-0013-8000"},
        "subject": "宽带中断两天",
        "description": "家里宽带从周一开始无法连接，已重启路由器。",
        "category": "network-broadband-outage",
        "order_number": "ORD-20261101-1",
        "occurred_at": "2026-11-01T08:30:00+08:00",
        "desired_outcome": "尽快修复并减免本月费用",
        "kind": "complaint",
        "priority": 2,
    }
    payload.update(overrides)
    return payload
