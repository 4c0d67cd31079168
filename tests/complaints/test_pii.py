"""Personal data: never clear text in the database, still findable by exact contact, masked for display."""

import pytest
from django.db import connection

from complaints import pii, selectors
from complaints.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "张小明", "Zhang.XM@Example.com", "+86 138-0013-1234"


@pytest.fixture
def customer(db) -> Customer:
    return CustomerFactory(name=NAME, email=EMAIL, phone=PHONE)


def raw_row(customer: Customer) -> tuple[str, str, str, str, str]:
    assert Customer._meta.db_table == "complaints_customer"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, email, phone, email_index, phone_index FROM complaints_customer WHERE id = %s",
            [customer.pk],
        )
        return cursor.fetchone()


def test_the_columns_hold_no_clear_text(customer):
    row = raw_row(customer)
    stored = " ".join(row)
    # Whole values only: a short fragment could turn up in base64 or hex by chance.
    for clear in (NAME, "小明", EMAIL, PHONE, "13800131234", "example.com"):
        assert clear.lower() not in stored.lower(), clear
    name, email, phone, email_index, phone_index = row
    assert pii.decrypt(name) == NAME and pii.decrypt(email) == EMAIL and pii.decrypt(phone) == PHONE
    assert email_index == pii.blind_index("email", "zhang.xm@example.com")
    assert phone_index == pii.blind_index("phone", "13800131234")
    reloaded = Customer.objects.get(pk=customer.pk)
    assert (reloaded.name, reloaded.email, reloaded.phone) == (NAME, EMAIL, PHONE)


def test_the_same_value_encrypts_differently_each_time():
    assert pii.encrypt("13800131234") != pii.encrypt("13800131234")


@pytest.mark.parametrize(
    "contact", ["zhang.xm@example.com", "ZHANG.XM@EXAMPLE.COM", " Zhang.XM@example.com "]
)
def test_lookup_by_email_ignores_case_and_spaces(customer, contact):
    assert list(selectors.customers_by_contact(contact)) == [customer]


@pytest.mark.parametrize(
    "contact", ["13800131234", "+86 138 0013 1234", "+8613800131234", "138-0013-1234", "0086 138 0013 1234"]
)
def test_lookup_by_phone_variants(customer, contact):
    assert list(selectors.customers_by_contact(contact)) == [customer]


@pytest.mark.parametrize("contact", ["zhang@example.com", "13800131235", "", "   "])
def test_lookup_does_not_find_other_contacts(customer, contact):
    assert not selectors.customers_by_contact(contact).exists()


def test_changing_the_email_moves_the_index(customer):
    customer.email = "new@example.com"
    customer.save(update_fields=["email"])
    assert not selectors.customers_by_contact(EMAIL).exists()
    assert list(selectors.customers_by_contact("NEW@example.com")) == [customer]


def test_masking(customer):
    assert pii.mask_phone("13812341234") == "138****1234"
    assert pii.mask_phone("+86 138-1234-1234") == "138****1234"
    assert pii.mask_email("zhang@example.com") == "z***@example.com"
    assert pii.mask_email("not-an-email") == "***"
    assert pii.mask_name("张小明") == "张**"
    assert customer.masked_contact == "138****1234 / Z***@Example.com"
    assert customer.masked_name == "张**"
