"""`message_html`: the one way a template shows a stored body (message, description, resolution steps).

Bodies are sanitised when they are written (complaints.services); they are cleaned again here, so a
row written before that rule, or by a path that missed it, still cannot put markup on a page.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe

from complaints.services import sanitise

register = template.Library()


@register.filter(is_safe=True)
def message_html(value: object) -> SafeString:
    """The body as harmless HTML (formatting tags only, no links or scripts) with its line breaks."""
    return mark_safe(linebreaksbr(sanitise(str(value or "")), autoescape=False))  # cleaned by nh3 first
