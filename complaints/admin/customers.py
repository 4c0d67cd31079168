"""Customers in the console: masked contact data, lookups by blind index."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "masked_phone",
        "masked_email",
        "customer_number",
        "preferred_language",
        "created_at",
    ]
    search_fields = ["customer_number"]
    search_help_text = _("Customer number, or an exact e-mail or phone.")
    list_filter = ["preferred_language", "surveys_opted_out"]
    readonly_fields = ["masked_name", "masked_phone", "masked_email", "created_at"]
    exclude = ["name", "email", "phone"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(pk__in=selectors.customers_by_contact(search_term))
        return results, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
