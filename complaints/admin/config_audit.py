"""Who changed which setting, from what to what: a ModelAdmin mixin writing ConfigChange rows.

Every configuration admin (complaints, sla, feedback, intake channels) mixes it in. It compares
the stored row before the save with the row after it, field by field, inline rows included, and
writes one ConfigChange in the admin's own transaction. Secrets (encrypted fields and the names an
admin lists in `secret_fields`) are recorded as changed, never with their value.
"""

import datetime
import decimal
import uuid
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseModelForm
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.functional import Promise

from complaints import pii
from complaints.models import ConfigChange

# Stand-ins for a secret's value in the audit trail.
SECRET_STORED = "(secret)"  # noqa: S105 - a placeholder, not a password
SECRET_CHANGED = "(changed)"  # noqa: S105

_PENDING = "_config_audit_pending"


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it: times as ISO text, decimals and lazy strings as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | Promise):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    return str(value)


def secret_field_names(model: type[models.Model], extra: tuple[str, ...] = ()) -> set[str]:
    """Encrypted fields are secrets by nature; an admin may name more."""
    names = {f.name for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedTextField)}
    return names | set(extra)


def _audited_fields(model: type[models.Model]) -> list[models.Field]:
    # Editable fields are what a supervisor sets; timestamps and bookkeeping columns are not configuration.
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def _raw_values(obj: models.Model) -> dict[str, Any]:
    return {f.name: getattr(obj, f.attname) for f in _audited_fields(type(obj))}


def _shown(obj: models.Model, field: models.Field, raw: Any) -> Any:
    """What the trail shows for a value: the related object's name for a foreign key."""
    if raw is None:
        return None
    if field.is_relation:
        related = getattr(obj, field.name, None)
        return str(related) if related is not None else str(raw)
    return json_safe(raw)


def diff(
    before: models.Model | None, after: models.Model | None, *, secrets: set[str], prefix: str = ""
) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field that differs; an added or deleted row shows its set fields."""
    model = type(after if after is not None else before)
    old = _raw_values(before) if before is not None else {}
    new = _raw_values(after) if after is not None else {}
    changes: dict[str, list[Any]] = {}
    for field in _audited_fields(model):
        was, now = old.get(field.name), new.get(field.name)
        if before is not None and after is not None and was == now:
            continue
        if before is None and now in (None, ""):
            continue
        if after is None and was in (None, ""):
            continue
        if field.name in secrets:
            shown = [SECRET_STORED if was not in (None, "") else None, SECRET_CHANGED if after else None]
        else:
            shown = [
                _shown(before, field, was) if before is not None else None,
                _shown(after, field, now) if after is not None else None,
            ]
        changes[f"{prefix}{field.name}"] = shown
    return changes


def record_config_change(
    *, user: Any, obj: models.Model, action: str, changes: dict[str, list[Any]], object_pk: Any = None
) -> ConfigChange:
    """Write one audit row; the only writer of ConfigChange."""
    return ConfigChange.objects.create(
        user=user if getattr(user, "pk", None) else None,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_pk=str(object_pk if object_pk is not None else obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        changes=changes,
    )


def _stored(obj: models.Model) -> models.Model | None:
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


class ConfigAuditMixin:
    """Mix into a configuration ModelAdmin (before admin.ModelAdmin) to audit every save and delete."""

    secret_fields: tuple[str, ...] = ()

    def _secrets(self, model: type[models.Model]) -> set[str]:
        return secret_field_names(model, self.secret_fields if model is self.model else ())

    def save_model(self, request: HttpRequest, obj: models.Model, form: BaseModelForm, change: bool) -> None:
        before = _stored(obj) if change else None
        super().save_model(request, obj, form, change)
        changes = diff(before, obj, secrets=self._secrets(type(obj)))
        action = ConfigChange.Action.CHANGED if before is not None else ConfigChange.Action.ADDED
        # Inline changes are saved after the object (save_related); they join this record there.
        setattr(request, _PENDING, {"obj": obj, "action": action, "changes": changes})

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        model = formset.model
        existing_pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        stored = model._default_manager.in_bulk(existing_pks)
        super().save_formset(request, form, formset, change)
        pending = getattr(request, _PENDING, None)
        if pending is None:
            return
        secrets = secret_field_names(model)
        label = model._meta.verbose_name
        for obj in formset.new_objects:
            pending["changes"].update(diff(None, obj, secrets=secrets, prefix=f"{label} «{obj}» · "))
        for obj, _fields in formset.changed_objects:
            before = stored.get(obj.pk)
            pending["changes"].update(diff(before, obj, secrets=secrets, prefix=f"{label} «{before}» · "))
        for obj in formset.deleted_objects:
            before = stored.get(obj.pk, obj)
            pending["changes"].update(diff(before, None, secrets=secrets, prefix=f"{label} «{before}» · "))

    def save_related(
        self, request: HttpRequest, form: BaseModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        pending = getattr(request, _PENDING, None)
        if pending is None:
            return
        delattr(request, _PENDING)
        if pending["changes"] or pending["action"] != ConfigChange.Action.CHANGED:
            record_config_change(
                user=request.user, obj=pending["obj"], action=pending["action"], changes=pending["changes"]
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        pk = obj.pk
        changes = diff(obj, None, secrets=self._secrets(type(obj)))
        super().delete_model(request, obj)
        record_config_change(
            user=request.user, obj=obj, action=ConfigChange.Action.DELETED, changes=changes, object_pk=pk
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        rows = [(obj.pk, obj, diff(obj, None, secrets=self._secrets(type(obj)))) for obj in queryset]
        super().delete_queryset(request, queryset)
        for pk, obj, changes in rows:
            record_config_change(
                user=request.user, obj=obj, action=ConfigChange.Action.DELETED, changes=changes, object_pk=pk
            )


class AuditedModelAdmin(ConfigAuditMixin, admin.ModelAdmin):
    """A configuration ModelAdmin whose every change lands in the configuration-change trail."""
