"""The console's remedies: approval rules and fulfilment terms (editable), remedies (approve or refuse
in bulk) and fulfilment items (finance marks them done in bulk with the payment reference). Every
action calls the services, which ask remedies.policy."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.errors import ComplaintError

from . import services
from .models import ApprovalRule, Fulfilment, FulfilmentTerm, Remedy


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000)


class ReferenceActionForm(ActionForm):
    reference = forms.CharField(
        label=gettext_lazy("Payment or transaction reference / why it failed"),
        required=False,
        max_length=2000,
    )


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "remedy_type",
        "category",
        "agent_limit",
        "lead_limit",
        "ceiling",
        "abuse_count",
        "abuse_days",
        "is_active",
    ]
    list_filter = ["is_active", "remedy_type"]
    list_editable = ["is_active"]


@admin.register(FulfilmentTerm)
class FulfilmentTermAdmin(admin.ModelAdmin):
    list_display = ["remedy_type", "days"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, call, done: str) -> None:
    try:
        # All or nothing: one refused item leaves the whole selection as it was.
        with transaction.atomic():
            count = call()
    except ComplaintError as refused:
        modeladmin.message_user(request, refused.message, messages.ERROR)
        return
    modeladmin.message_user(request, done % {"n": count}, messages.SUCCESS)


@admin.register(Remedy)
class RemedyAdmin(ReadOnlyAdmin):
    list_display = [
        "ticket",
        "remedy_type",
        "amount",
        "currency",
        "state",
        "required_level",
        "proposed_by",
        "proposed_at",
        "decided_by",
    ]
    list_filter = ["state", "remedy_type", "required_level", "team"]
    list_select_related = ["ticket", "proposed_by", "decided_by"]
    search_fields = ["ticket__reference"]
    date_hierarchy = "proposed_at"
    action_form = ReasonActionForm
    actions = ["approve_selected", "refuse_selected"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The bulk actions need it; the form itself is read-only (fields below).
        return obj is None and request.user.has_perm("remedies.change_remedy")

    @admin.action(description=gettext_lazy("Approve the selected remedies"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = request.POST.get("reason", "")
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        _run(
            self,
            request,
            lambda: len([services.approve(remedy_id=pk, actor=request.user, reason=reason) for pk in ids]),
            _("%(n)s remedies approved."),
        )

    @admin.action(description=gettext_lazy("Refuse the selected remedies (give the reason)"))
    def refuse_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = request.POST.get("reason", "")
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        _run(
            self,
            request,
            lambda: len([services.refuse(remedy_id=pk, actor=request.user, reason=reason) for pk in ids]),
            _("%(n)s remedies refused."),
        )


@admin.register(Fulfilment)
class FulfilmentAdmin(ReadOnlyAdmin):
    list_display = ["remedy", "ticket", "state", "due_at", "done_at", "reference", "warned_at"]
    list_filter = ["state", "remedy__remedy_type"]
    list_select_related = ["remedy__ticket"]
    search_fields = ["remedy__ticket__reference", "reference"]
    action_form = ReferenceActionForm
    actions = ["mark_done", "mark_failed"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and request.user.has_perm("remedies.change_fulfilment")

    @admin.display(description=gettext_lazy("ticket"))
    def ticket(self, item: Fulfilment) -> str:
        return item.remedy.ticket.reference

    @admin.action(description=gettext_lazy("Mark the selected items done with the reference"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet) -> None:
        reference = request.POST.get("reference", "")
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        _run(
            self,
            request,
            lambda: len(services.fulfil_many(fulfilment_ids=ids, actor=request.user, reference=reference)),
            _("%(n)s items recorded done."),
        )

    @admin.action(description=gettext_lazy("Mark the selected items failed (give the reason)"))
    def mark_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = request.POST.get("reference", "")
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        _run(
            self,
            request,
            lambda: len([services.fail(fulfilment_id=pk, actor=request.user, reason=reason) for pk in ids]),
            _("%(n)s items recorded failed."),
        )
