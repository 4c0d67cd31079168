from django.db import models
from django.utils.translation import gettext_lazy as _

from .bilingual import pick
from .organisation import Category, Team


class KBArticle(models.Model):
    """A knowledge-base answer; public ones are the customers' FAQ."""

    slug = models.SlugField(unique=True, max_length=120)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("category")
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_zh = models.TextField(_("body (Chinese)"))
    body_en = models.TextField(_("body (English)"), blank=True)
    is_public = models.BooleanField(_("public (FAQ)"), default=False)
    is_published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["category__position", "slug"]
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick(self.title_zh, self.title_en)

    @property
    def body(self) -> str:
        return pick(self.body_zh, self.body_en)


class CannedReply(models.Model):
    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(
        _("language"), max_length=10, choices=[("zh-hans", "中文"), ("en", "English")]
    )
    body = models.TextField(_("body"))
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("team"),
        help_text=_("Empty: available to every team."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title
