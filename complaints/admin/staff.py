"""Staff accounts in the console: Django's user admin plus the person's own language."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from complaints import preferences
from complaints.models import StaffPreference

User = get_user_model()


class StaffPreferenceInline(admin.StackedInline):
    model = StaffPreference
    can_delete = False
    extra = 1
    max_num = 1
    fields = ["language"]


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffPreferenceInline]
    list_display = [*UserAdmin.list_display, "language"]
    list_select_related = ["staff_preference"]

    @admin.display(description=StaffPreference._meta.get_field("language").verbose_name)
    def language(self, user) -> str:
        preference = getattr(user, "staff_preference", None)
        return preference.get_language_display() if preference and preference.language else "—"

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        # Supervisors changing their own language see it at once, not at their next sign-in.
        if formset.model is StaffPreference and form.instance.pk == request.user.pk:
            preferences.remember(request, preferences.staff_language(request.user))
