"""What the admin index tells a supervisor before the dashboard: a set-up checklist while the
installation cannot route anything yet, and notices other apps raise (e.g. sla: a business
calendar without next year's adjusted working days).

A fresh install without seed_demo has no teams and no routing rules, so nothing routes. The core
registers the steps it owns (teams, members, routing); other apps register theirs from their
admin module (sla: an SLA policy; channels_intake: a mailbox), so complaints imports none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints import config_cache
from complaints.models import RoutingRule, Team, TeamMembership
from complaints.selectors import is_supervisor


@dataclass(frozen=True)
class SetupStep:
    """One thing a working installation needs; `done()` costs at most one query (none when it reads a
    configuration model through complaints.config_cache)."""

    key: str
    label: str | Promise
    help: str | Promise
    url_name: str  # the admin page that fixes it
    done: Callable[[], bool]
    order: int = 100
    # An optional step is listed and ticked, but does not keep the checklist up on its own
    # (a desk taking only web, phone and API tickets needs no mailbox).
    required: bool = True


@dataclass(frozen=True)
class Notice:
    """A warning above the dashboard, with the admin page that deals with it."""

    key: str
    message: str
    href: str = ""
    link_text: str | Promise = ""
    level: str = "warning"  # warning or error (Django's message classes)


SETUP_STEPS: dict[str, SetupStep] = {}
NOTICES: dict[str, Callable[[AbstractBaseUser], list[Notice]]] = {}


def register_setup_step(step: SetupStep) -> None:
    SETUP_STEPS[step.key] = step


def register_notices(name: str, notices: Callable[[AbstractBaseUser], list[Notice]]) -> None:
    """`notices(user)` returns the notices that user should see now (an empty list: none)."""
    NOTICES[name] = notices


def may_set_up(user: AbstractBaseUser) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or is_supervisor(user)))


def _href(url_name: str) -> str:
    try:
        return reverse(url_name)
    except NoReverseMatch:  # the app's admin is not installed on this site
        return ""


def setup_checklist(user: AbstractBaseUser) -> list[dict[str, Any]] | None:
    """The steps in order, each ticked or not, for a supervisor while a required one is missing; else None."""
    if not may_set_up(user):
        return None
    steps = [
        {
            "key": step.key,
            "label": step.label,
            "help": step.help,
            "href": _href(step.url_name),
            "required": step.required,
            "done": step.done(),
        }
        for step in sorted(SETUP_STEPS.values(), key=lambda s: (s.order, s.key))
    ]
    if all(step["done"] for step in steps if step["required"]):
        return None
    return steps


def console_notices(user: AbstractBaseUser) -> list[Notice]:
    if not may_set_up(user):
        return []
    return [notice for name in sorted(NOTICES) for notice in NOTICES[name](user)]


register_setup_step(
    SetupStep(
        key="teams",
        label=_("Create the teams"),
        help=_("Customer service, technical, billing …: every ticket is routed to a team."),
        url_name="admin:complaints_team_add",
        done=lambda: config_cache.cached("console:setup:teams", Team.objects.filter(is_active=True).exists),
        order=10,
    )
)
register_setup_step(
    SetupStep(
        key="members",
        label=_("Add agents to the teams"),
        help=_("On a team's page: its members receive its tickets."),
        url_name="admin:complaints_team_changelist",
        done=lambda: TeamMembership.objects.filter(team__is_active=True, user__is_active=True).exists(),
        order=20,
    )
)
register_setup_step(
    SetupStep(
        key="routing",
        label=_("Write routing rules"),
        help=_("Keywords, channel and category decide a new ticket's team and priority."),
        url_name="admin:complaints_routingrule_add",
        done=lambda: config_cache.cached(
            "console:setup:routing", RoutingRule.objects.filter(is_active=True).exists
        ),
        order=30,
    )
)
