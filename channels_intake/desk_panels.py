"""What intake adds to the desk's ticket workspace (complaints.extensions ticket panels)."""

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse


def phone_call_panel(request: Any, ticket: Any) -> dict[str, Any] | None:
    """A link to log a call with this ticket's customer, for whoever may log calls."""
    if not request.user.has_perm("channels_intake.log_phone_call"):
        return None
    url = f"{reverse('public:phone_call')}?{urlencode({'ticket': ticket.reference})}"
    return {"template": "desk/intake/_phone_call_panel.html", "url": url}
