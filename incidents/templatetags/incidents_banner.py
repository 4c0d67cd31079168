"""The known-issue banner's one tag: the issues that concern the page's ticket (all, on a page without one)."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def known_issues_here(context: template.Context) -> list[Any]:
    issues = list(context.get("known_issues") or [])
    ticket = context.get("ticket")
    category_id = getattr(ticket, "category_id", None)
    if not category_id:
        return issues
    parent_id = getattr(getattr(ticket, "category", None), "parent_id", None)
    return [issue for issue in issues if issue.category_id in (None, category_id, parent_id)]
