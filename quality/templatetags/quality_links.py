"""Links into quality from other pages: open a corrective action from a root cause, a category or an
incident, with the console's add form filled in (issue 21)."""

from typing import Any

from django import template

from quality import corrective

register = template.Library()


@register.simple_tag(takes_context=True)
def new_corrective_action_url(
    context: template.Context,
    *,
    title: str = "",
    problem: str = "",
    root_cause: Any = None,
    category: Any = None,
    tickets: Any = (),
) -> str:
    """The console's add form for a corrective action, prefilled; "" when the reader may not add one.
    `tickets` may be tickets or incident links (anything with .ticket_id or .pk)."""
    request = context.get("request")
    if request is None or not request.user.has_perm("quality.add_correctiveaction"):
        return ""
    ticket_ids = [getattr(item, "ticket_id", None) or item.pk for item in tickets or ()]
    return corrective.new_action_url(
        title=title,
        problem=problem,
        root_cause_id=getattr(root_cause, "pk", root_cause),
        category_id=getattr(category, "pk", category),
        ticket_ids=ticket_ids,
    )
