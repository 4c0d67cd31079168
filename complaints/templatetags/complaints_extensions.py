"""What other apps registered in complaints.extensions, for the core's templates."""

from django import template
from django.urls import reverse

from complaints import extensions

register = template.Library()


@register.simple_tag
def desk_links(user) -> list[tuple[str, str]]:
    """(label, address) of the desk pages other apps add to the top bar that `user` may open."""
    return [(link.label, reverse(link.url_name)) for link in extensions.desk_links(user)]
