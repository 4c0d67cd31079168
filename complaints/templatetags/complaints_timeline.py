"""Timeline entries in the reader's language: `{% load complaints_timeline %}`.

{{ event|event_change }}   "Resolved → In progress", "Customer service → Technical"
{{ event|event_reason }}   the reason (a system reason in the reader's language)
{{ event|event_actor }}    who did it ("the system" when nobody did)
{{ message|message_meta }} "Public reply · 王芳", "Customer message · via E-mail"
"""

from django import template

from complaints import naming, timeline

register = template.Library()


@register.filter
def event_change(event) -> str:
    return timeline.event_change(event)


@register.filter
def event_reason(event) -> str:
    return timeline.event_reason(event)


@register.filter
def event_actor(event) -> str:
    return timeline.actor_label(event)


@register.filter
def message_meta(message) -> str:
    return " · ".join(timeline.message_meta(message))


@register.filter
def person_name(user) -> str:
    return naming.user_name(user)


@register.filter
def message_byline(message) -> str:
    """message_meta without the kind, for a heading that shows the kind on its own."""
    return " · ".join(timeline.message_meta(message)[1:])
