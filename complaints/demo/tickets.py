"""Demo tickets, bulk-inserted in batches (no service calls, no per-ticket queries), so a million of
them is a matter of minutes. Their timelines (`timelines.py`) are consistent with the status graph."""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import reset_queries, transaction
from django.utils import timezone

from complaints import pii
from complaints.events import tickets_bulk_loaded
from complaints.models import Category, Customer, Message, Resolution, RootCause, Team, Ticket, TicketEvent
from complaints.models.tickets import new_reference
from complaints.states import OPEN_STATUSES, Status

from .data import (
    AGE_HOURS,
    CHANNEL_WEIGHTS,
    GIVEN_ZH,
    NAMES_EN,
    PATHS,
    PINYIN,
    PRIORITY_WEIGHTS,
    REMEDY_AMOUNTS,
    SCENARIOS,
    STATUS_WEIGHTS,
    SURNAMES_EN,
    SURNAMES_ZH,
)
from .reference import Staff
from .timelines import build_timeline


@contextmanager
def explicit_timestamps() -> Iterator[None]:
    """Let bulk inserts keep the historical times we give them instead of 'now'."""
    fields = [
        model._meta.get_field(name)
        for model, names in (
            (Ticket, ("created_at", "updated_at")),
            (Message, ("created_at",)),
            (TicketEvent, ("created_at",)),
            (Resolution, ("created_at",)),
        )
        for name in names
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _weighted(rng: random.Random, weights: dict, k: int) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def _customers(rng: random.Random, count: int) -> list[Customer]:
    """A pool of customers the tickets share: encryption is paid once per customer, not per ticket."""
    customers = []
    for _ in range(count):
        zh = rng.random() < 0.75
        if zh:
            name = rng.choice(SURNAMES_ZH) + rng.choice(GIVEN_ZH)
            handle = rng.choice(PINYIN)
        else:
            first = rng.choice(NAMES_EN)
            name = f"{first} {rng.choice(SURNAMES_EN)}"
            handle = first.lower()
        email = f"{handle}.{rng.randrange(10**7):07d}@example.com" if rng.random() < 0.8 else ""
        phone = (
            "1" + rng.choice(["38", "39", "50", "58", "86", "88", "35", "77"]) + f"{rng.randrange(10**8):08d}"
        )
        # bulk_create skips Customer.save(), which computes the blind indexes; the encrypted
        # fields still encrypt themselves on the way to the database.
        customers.append(
            Customer(
                name=name,
                email=email,
                phone=phone,
                email_index=pii.blind_index("email", email),
                phone_index=pii.blind_index("phone", phone),
                customer_number=f"C{rng.randrange(10**8):08d}",
                preferred_language="zh-hans" if zh else "en",
            )
        )
    return Customer.objects.bulk_create(customers, batch_size=1000)


def load_tickets(
    rng: random.Random, staff: Staff, count: int, batch_size: int, *, progress: Callable[..., None]
) -> int:
    """Add `count` tickets with their timelines, `batch_size` per transaction; tell `tickets_bulk_loaded`."""
    categories = {c.slug: c for c in Category.objects.select_related("parent", "default_team")}
    teams = list(Team.objects.all())
    causes = list(RootCause.objects.filter(is_active=True))
    pool = _customers(rng, min(max(count // 10, 20), 5000))
    loaded = 0
    with explicit_timestamps():
        while loaded < count:
            size = min(batch_size, count - loaded)
            with transaction.atomic():
                ids = _batch(rng, size, staff, categories, teams, causes, pool)
                # The SLA app (and any other) builds what it keeps per ticket in bulk too.
                tickets_bulk_loaded.send(sender=Ticket, ticket_ids=ids)
            loaded += size
            # With DEBUG on Django keeps every query's SQL; big inserts would pile up in memory.
            reset_queries()
            if count > batch_size:
                progress(f"  {loaded}/{count} tickets", ending="\r")
    if count > batch_size:
        progress("")
    return loaded


def _references(size: int) -> list[str]:
    """`size` new references that no ticket has yet (40 random bits collide past ~10^6 tickets)."""
    references: set[str] = set()
    while len(references) < size:
        candidates = {new_reference() for _ in range(size - len(references))} - references
        taken = set(Ticket.objects.filter(reference__in=candidates).values_list("reference", flat=True))
        references |= candidates - taken
    return list(references)


def _batch(
    rng: random.Random,
    size: int,
    staff: Staff,
    categories: dict[str, Category],
    teams: list[Team],
    causes: list[RootCause],
    pool: list[Customer],
) -> list[int]:
    now = timezone.now()
    statuses = _weighted(rng, STATUS_WEIGHTS, size)
    channels = _weighted(rng, CHANNEL_WEIGHTS, size)
    priorities = _weighted(rng, PRIORITY_WEIGHTS, size)
    references = _references(size)
    tickets: list[Ticket] = []
    plans: list[tuple[Ticket, list[tuple[str, datetime]], dict]] = []
    for index in range(size):
        status = statuses[index]
        scenario = rng.choice(SCENARIOS)
        category = categories.get(scenario[0])
        team = (category.default_team if category else None) or rng.choice(teams)
        # Some customers only ever have finished tickets, so erasing one can be tried in the demo.
        customer = rng.choice(pool if status not in OPEN_STATUSES else pool[len(pool) // 10 or 1 :])
        english = customer.preferred_language == "en"
        values = {
            "amount": rng.randrange(5, 300),
            "total": rng.randrange(80, 400),
            "order": f"{rng.randrange(10**11, 10**12)}",
        }
        subject = (scenario[4] if english else scenario[2]).format(**values)
        description = (scenario[5] if english else scenario[3]).format(**values)
        low, high = AGE_HOURS[status]
        created = now - timedelta(hours=rng.uniform(low, high))
        path = PATHS[status]
        # The steps happen in order between the opening and now.
        span = (now - created).total_seconds()
        moments = sorted(created + timedelta(seconds=span * rng.uniform(0.02, 0.98)) for _ in path)
        steps = list(zip(path, moments, strict=True))
        members = staff.agents_by_team.get(team.pk) or [None]
        assignee = rng.choice(members) if path else None
        times = dict(steps)
        escalated = status in (Status.IN_PROGRESS, Status.AWAITING_CUSTOMER) and rng.random() < 0.08
        ticket = Ticket(
            reference=references[index],
            customer=customer,
            channel=channels[index],
            kind=scenario[1],
            category=category,
            priority=priorities[index],
            complexity=Ticket.Complexity.COMPLEX if rng.random() < 0.35 else Ticket.Complexity.SIMPLE,
            status=status,
            team=team,
            assignee=assignee,
            escalation_level=1 if escalated else 0,
            version=len(path) + (2 if assignee else 1) + (1 if escalated else 0),
            subject=subject[:200],
            description=description,
            order_number=values["order"] if "{order}" in scenario[3] else "",
            occurred_at=created - timedelta(hours=rng.uniform(1, 72)),
            desired_outcome=scenario[7] if english else scenario[6],
            language=customer.preferred_language,
            created_at=created,
            updated_at=moments[-1] if moments else created,
            acknowledged_at=times.get(Status.ACKNOWLEDGED),
            first_response_at=times.get(Status.ACKNOWLEDGED),
            resolved_at=times.get(Status.RESOLVED),
            closed_at=times.get(Status.CLOSED),
        )
        tickets.append(ticket)
        plans.append((ticket, steps, {"english": english, "escalated": escalated}))
    Ticket.objects.bulk_create(tickets, batch_size=1000)

    resolutions = []
    for ticket, _steps, plan in plans:
        if ticket.resolved_at is None:
            continue
        remedy = rng.choice(list(Resolution.Remedy))
        amount_range = REMEDY_AMOUNTS.get(remedy)
        confirmed = ticket.status == Status.CLOSED and rng.random() < 0.7
        plan["confirmed"] = confirmed
        resolutions.append(
            Resolution(
                ticket=ticket,
                root_cause=rng.choice(causes),
                steps_taken="Checked the account and corrected it."
                if plan["english"]
                else "已核查账户并予以更正。",
                remedy=remedy,
                amount=Decimal(rng.randrange(*amount_range)) if amount_range else Decimal(0),
                resolved_by=ticket.assignee,
                created_at=ticket.resolved_at,
                customer_response=Resolution.CustomerResponse.CONFIRMED
                if confirmed
                else Resolution.CustomerResponse.PENDING,
                responded_at=ticket.closed_at if confirmed else None,
            )
        )
        plan["resolution"] = resolutions[-1]
    Resolution.objects.bulk_create(resolutions, batch_size=1000)

    events: list[TicketEvent] = []
    messages: list[Message] = []
    for ticket, steps, plan in plans:
        build_timeline(rng, ticket, steps, plan, events, messages)
    TicketEvent.objects.bulk_create(events, batch_size=2000)
    Message.objects.bulk_create(messages, batch_size=2000)
    return [ticket.pk for ticket in tickets]
