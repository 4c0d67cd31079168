"""The console's audit trail, read-only: who saw personal data in full, who downloaded what, who changed which setting."""

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from complaints.models import ConfigChange, ExportRecord, PiiAccess

from .base import AppendOnlyAdmin, DateRangeFilter


class PresentFilter(admin.RelatedFieldListFilter):
    """Only the people (or kinds) that appear in the trail, not every row of the related table."""

    def field_choices(self, field, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        present = model_admin.model.objects.order_by().values(field.attname).distinct()
        related = field.remote_field.model.objects.filter(pk__in=present)
        return sorted(((obj.pk, str(obj)) for obj in related), key=lambda choice: choice[1])


class AuditAdmin(AppendOnlyAdmin):
    """Seen, never changed: rows are written by the code that did the audited thing."""

    list_per_page = 100
    show_full_result_count = False


@admin.register(PiiAccess)
class PiiAccessAdmin(AuditAdmin):
    list_display = ["created_at", "user", "customer", "ticket", "fields"]
    list_filter = [("user", PresentFilter), ("created_at", DateRangeFilter), "fields"]
    list_select_related = ["user", "customer", "ticket"]
    search_fields = ["ticket__reference", "user__username"]


@admin.register(ExportRecord)
class ExportRecordAdmin(AuditAdmin):
    list_display = [
        "created_at",
        "user",
        "subject",
        "file_format",
        "row_count",
        "included_pii",
        "filters_shown",
    ]
    list_filter = [
        ("user", PresentFilter),
        ("created_at", DateRangeFilter),
        "subject",
        "file_format",
        "included_pii",
    ]
    list_select_related = ["user"]
    search_fields = ["subject", "user__username"]
    readonly_fields = ["filters_shown"]
    exclude = ["filters"]

    @admin.display(description=_("filters"))
    def filters_shown(self, record: ExportRecord) -> str:
        return key_value_table(record.filters)


@admin.register(ConfigChange)
class ConfigChangeAdmin(AuditAdmin):
    list_display = ["created_at", "user", "content_type", "object_repr", "action", "fields_changed"]
    list_filter = [
        ("user", PresentFilter),
        ("created_at", DateRangeFilter),
        ("content_type", PresentFilter),
        "action",
    ]
    list_select_related = ["user", "content_type"]
    search_fields = ["object_repr", "object_pk"]
    readonly_fields = ["changes_table"]
    exclude = ["changes"]

    @admin.display(description=_("fields"))
    def fields_changed(self, change: ConfigChange) -> str:
        return ", ".join(change.changes) if isinstance(change.changes, dict) else ""

    @admin.display(description=_("changes"))
    def changes_table(self, change: ConfigChange) -> str:
        """{field: [before, after]} as a table; anything else as its text."""
        changes = change.changes or {}
        if not isinstance(changes, dict):
            return format_html("<pre>{}</pre>", changes)
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((field, *before_after(values)) for field, values in changes.items()),
        )
        return format_html(
            '<table class="config-changes"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("field"),
            _("before"),
            _("after"),
            rows,
        )


def before_after(values: object) -> tuple[str, str]:
    if isinstance(values, list | tuple) and len(values) == 2:
        return shown(values[0]), shown(values[1])
    return "", shown(values)


def shown(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def key_value_table(values: object) -> str:
    if not isinstance(values, dict) or not values:
        return "—" if not values else format_html("{}", shown(values))
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((k, shown(v)) for k, v in values.items()))
    return format_html('<table class="export-filters"><tbody>{}</tbody></table>', rows)
