from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def pick(zh: str, en: str) -> str:
    """The zh or en variant for the active language, falling back to whichever exists."""
    language = (get_language() or "zh-hans").lower()
    if language.startswith("zh"):
        return zh or en
    return en or zh


class BilingualName(models.Model):
    """Reference data named in both languages (teams, categories, causes, sources...): one place
    for the two fields, the name in the reader's language and what the admin lists."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)
