from django.utils.translation import get_language


def pick(zh: str, en: str) -> str:
    """The zh or en variant for the active language, falling back to whichever exists."""
    language = (get_language() or "zh-hans").lower()
    if language.startswith("zh"):
        return zh or en
    return en or zh
