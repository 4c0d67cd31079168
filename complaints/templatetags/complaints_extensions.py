"""What other apps registered in complaints.extensions, for the core's templates."""

from django import template
from django.urls import reverse

from complaints import extensions

register = template.Library()


@register.simple_tag
def desk_links(user) -> list[tuple[str, str]]:
    """(label, address) of the desk pages other apps add to the top bar that `user` may open."""
    return [(link.label, reverse(link.url_name)) for link in extensions.desk_links(user)]


@register.simple_tag
def submit_form_assets() -> dict[str, list[str]]:
    """The stylesheets and scripts the registered additions to the complaint form need, each once."""
    additions = extensions.SUBMIT_FORM_ADDITIONS
    return {
        "stylesheets": list(dict.fromkeys(path for a in additions for path in a.stylesheets)),
        "scripts": list(dict.fromkeys(path for a in additions for path in a.scripts)),
    }


@register.simple_tag
def submit_form_additions(field_name: str) -> list[str]:
    """The templates registered to follow this field of the complaint form."""
    return [a.template for a in extensions.SUBMIT_FORM_ADDITIONS if a.after_field == field_name]
