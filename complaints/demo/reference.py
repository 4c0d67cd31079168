"""The demo's reference data and accounts, created or brought up to date (safe to run again)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from complaints.models import CannedReply, Category, KBArticle, RoutingRule, Team, TeamMembership

from .data import AGENT_NAMES, CANNED_REPLIES, CATEGORY_TEAMS, KB_ARTICLES, ROUTING_RULES, TEAMS


@dataclass
class Staff:
    """The demo accounts, by team slug, for spreading tickets over them."""

    supervisor: object
    agents_by_team: dict[int, list] = field(default_factory=dict)


def load_reference_data(*, agents: int, password: str) -> Staff:
    """Teams, categories' teams, accounts, routing rules, FAQ and canned replies; the accounts made."""
    teams = load_teams()
    give_categories_teams(teams)
    staff = load_accounts(teams, agents, password)
    load_routing_rules(teams)
    load_knowledge_base()
    load_canned_replies()
    return staff


def load_teams() -> dict[str, Team]:
    teams = {}
    for slug, zh, en, function in TEAMS:
        teams[slug], _ = Team.objects.get_or_create(
            slug=slug,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "function": function,
                "email": f"{slug}@demo.example.com",
            },
        )
    return teams


def give_categories_teams(teams: dict[str, Team]) -> None:
    # Only categories nobody has given a team yet: an admin's choice wins over the demo's.
    for category in Category.objects.filter(default_team__isnull=True).select_related("parent"):
        top = category.parent or category
        slug = CATEGORY_TEAMS.get(top.slug)
        if slug:
            category.default_team = teams[slug]
            category.save(update_fields=["default_team"])


def load_accounts(teams: dict[str, Team], agents: int, password: str) -> Staff:
    User = get_user_model()
    # One hash for all accounts: hashing is deliberately slow and they share the password.
    hashed = make_password(password)
    supervisor, _ = User.objects.get_or_create(
        username="supervisor",
        defaults={"first_name": "慧敏", "last_name": "孙", "email": "supervisor@demo.example.com"},
    )
    supervisor.is_staff = True
    supervisor.is_active = True
    supervisor.password = hashed
    supervisor.save(update_fields=["is_staff", "is_active", "password"])
    supervisor.groups.add(Group.objects.get(name="Supervisors"))

    agents_group = Group.objects.get(name="Agents")
    team_list = list(teams.values())
    staff = Staff(supervisor=supervisor)
    for number in range(1, agents + 1):
        first, last = AGENT_NAMES[(number - 1) % len(AGENT_NAMES)]
        user, _ = User.objects.get_or_create(
            username=f"agent{number}",
            defaults={"first_name": first, "last_name": last, "email": f"agent{number}@demo.example.com"},
        )
        user.is_active = True
        user.password = hashed
        user.save(update_fields=["is_active", "password"])
        user.groups.add(agents_group)
        team = team_list[(number - 1) % len(team_list)]
        # The first agent placed in each team leads it.
        role = TeamMembership.Role.LEAD if number <= len(team_list) else TeamMembership.Role.AGENT
        TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    for membership in TeamMembership.objects.filter(team__in=team_list).select_related("user"):
        staff.agents_by_team.setdefault(membership.team_id, []).append(membership.user)
    return staff


def load_routing_rules(teams: dict[str, Team]) -> None:
    categories = {c.slug: c for c in Category.objects.all()}
    for name, position, channel, keywords, category, team, priority, complexity in ROUTING_RULES:
        RoutingRule.objects.get_or_create(
            name=name,
            defaults={
                "position": position,
                "match_channel": channel,
                "match_keywords": keywords,
                "set_category": categories.get(category),
                "set_team": teams[team],
                "set_priority": priority,
                "set_complexity": complexity,
            },
        )


def load_knowledge_base() -> None:
    categories = {c.slug: c for c in Category.objects.all()}
    for slug, category, public, title_zh, title_en, body_zh, body_en in KB_ARTICLES:
        KBArticle.objects.get_or_create(
            slug=slug,
            defaults={
                "category": categories.get(category),
                "is_public": public,
                "title_zh": title_zh,
                "title_en": title_en,
                "body_zh": body_zh,
                "body_en": body_en,
            },
        )


def load_canned_replies() -> None:
    for title, language, body in CANNED_REPLIES:
        # Demo replies loaded before their Chinese titles: found by their body, retitled.
        CannedReply.objects.filter(language=language, body=body).exclude(title=title).update(title=title)
        CannedReply.objects.get_or_create(title=title, language=language, defaults={"body": body})
