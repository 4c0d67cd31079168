"""People's names as their culture writes them: the one place a first and last name become a name.

Chinese, Japanese and Korean names are written family name first without a space (王芳); other
names given name first with a space (Anna Berg). Django's `User.get_full_name()` always joins
"first last" with a space, which gives "芳 王", so nothing shows a name through it.
"""

from django.utils.translation import gettext


def full_name(*, given: str, family: str) -> str:
    """A given and a family name joined as the person's culture writes them ("" for neither)."""
    given, family = (given or "").strip(), (family or "").strip()
    if any(_writes_family_name_first(ch) for ch in given + family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def user_name(user: object | None) -> str:
    """A staff member as colleagues see them: their name, else their username ("" for nobody)."""
    if user is None:
        return ""
    name = full_name(given=getattr(user, "first_name", ""), family=getattr(user, "last_name", ""))
    return name or user.get_username()


def user_name_for_customers(user: object | None) -> str:
    """A staff member as a customer sees them: their full name, else "Agent" (never the login)."""
    name = full_name(given=getattr(user, "first_name", ""), family=getattr(user, "last_name", ""))
    return name or gettext("Agent")


def _writes_family_name_first(ch: str) -> bool:
    """Han, kana, Hangul and compatibility ideographs: names written family name first, no space."""
    return (
        "\u3400" <= ch <= "\u9fff"
        or "\uf900" <= ch <= "\ufaff"
        or "\u3040" <= ch <= "\u30ff"
        or "\uac00" <= ch <= "\ud7af"
    )
