import json
from pathlib import Path

import pytest

from assist import selectors
from complaints.models import Category, Team, Ticket
from complaints.states import Status
from tests.factories import TeamFactory, TicketFactory

DATA = Path(__file__).resolve().parents[2] / "assist" / "data"
# A few categories keep training quick; enough to tell them apart.
CATEGORIES = [
    "network-broadband-outage",
    "billing-refund-difficulty",
    "order-late-delivery",
    "product-app-crash",
]


def eval_rows(split: str | None = None, categories: list[str] | None = None) -> list[dict]:
    rows = [
        json.loads(line) for line in (DATA / "eval_tickets.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return [
        row
        for row in rows
        if (split is None or row["split"] == split) and (categories is None or row["category"] in categories)
    ]


@pytest.fixture(autouse=True)
def _own_model_folder(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    selectors.forget_loaded_models()
    yield
    selectors.forget_loaded_models()


@pytest.fixture
def teams(db) -> dict[str, Team]:
    return {
        slug: TeamFactory(slug=slug, name_en=slug, name_zh=slug)
        for slug in ["customer-service", "technical", "product", "billing", "legal"]
    }


def resolved_tickets(rows: list[dict], teams: dict[str, Team]) -> list[Ticket]:
    categories = {c.slug: c for c in Category.objects.all()}
    return [
        TicketFactory(
            subject=row["subject"],
            description=row["description"],
            category=categories[row["category"]],
            team=teams[row["team"]],
            priority=row["priority"],
            status=Status.CLOSED,
        )
        for row in rows
    ]


@pytest.fixture
def history(teams) -> list[Ticket]:
    """The desk's own resolved tickets: the training split of four categories."""
    return resolved_tickets(eval_rows("train", CATEGORIES), teams)
