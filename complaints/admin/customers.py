"""Customers in the console: masked contact data, lookups by blind index, export and erasure on request."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import privacy, selectors
from complaints.errors import ComplaintError
from complaints.models import Customer

ERASE_PERMISSION = "complaints.erase_customer"


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "masked_phone",
        "masked_email",
        "customer_number",
        "preferred_language",
        "created_at",
        "erased_at",
    ]
    search_fields = ["customer_number"]
    search_help_text = gettext_lazy("Customer number, or an exact e-mail or phone.")
    list_filter = ["preferred_language", "surveys_opted_out", ("erased_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["masked_name", "masked_phone", "masked_email", "created_at", "erased_at"]
    exclude = ["name", "email", "phone"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(pk__in=selectors.customers_by_contact(search_term))
        return results, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/export/", wrap(self.export_view), name="complaints_customer_export"),
            path("<int:pk>/erase/", wrap(self.erase_view), name="complaints_customer_erase"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra = {"can_erase": request.user.has_perm(ERASE_PERMISSION), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def _require_erase_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm(ERASE_PERMISSION):
            raise PermissionDenied

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST: download everything held about the customer as a ZIP of CSV files (audited)."""
        self._require_erase_permission(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        customer = get_object_or_404(Customer, pk=pk)
        export = privacy.export_customer(actor=request.user, customer_id=customer.pk)
        response = HttpResponse(export.content, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, export.filename)
        return response

    def erase_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: what erasure does, and a confirmation; POST: erase."""
        self._require_erase_permission(request)
        customer = get_object_or_404(Customer, pk=pk)
        change_url = reverse("admin:complaints_customer_change", args=[customer.pk])
        if request.method == "POST":
            try:
                privacy.erase_customer(actor=request.user, customer_id=customer.pk)
            except ComplaintError as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(change_url)
            # The admin history is the record of who erased whom; the ticket timeline has no kind for it.
            self.log_change(request, customer, [{"changed": {"fields": ["erased_at"]}}])
            self.message_user(
                request,
                _("The customer's personal data was erased; their tickets remain, anonymised."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Erase this customer's personal data?"),
            "customer": customer,
            "ticket_count": customer.tickets.count(),
            "open_count": customer.tickets.open().count(),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/complaints/customer/erase_confirm.html", context)
