"""complaints.services.customers: a ticket's customer found again by a blind index of their contact, or created."""

import pytest

from complaints import pii, services
from complaints.models import Customer
from complaints.services import CustomerDetails

from .conftest import open_

pytestmark = pytest.mark.django_db


def test_open_ticket_creates_customer_and_finds_them_again_by_blind_index(category):
    first = open_(category, email="Li.Lei@Example.com")
    second = open_(category, email=" li.lei@example.com ", subject="A completely different matter")
    assert Customer.objects.count() == 1
    assert first.customer_id == second.customer_id
    customer = Customer.objects.get()
    assert customer.email_index == pii.blind_index("email", "li.lei@example.com")


def test_open_ticket_finds_customer_by_phone_variant(category):
    services.open_ticket(
        actor=None,
        channel="phone",
        customer=CustomerDetails(phone="13800138000"),
        subject="电话投诉",
        description="快递丢失",
        category=category,
    )
    opened = services.open_ticket(
        actor=None,
        channel="phone",
        customer=CustomerDetails(phone="+86 138-0013-8000", email="late@example.com"),
        subject="Another thing entirely",
        description="Billing amount was wrong twice",
        category=category,
    )
    customer = Customer.objects.get()
    assert opened.ticket.customer == customer
    assert customer.email == ""  # a claimed detail is never added to a known customer (issue 15)
