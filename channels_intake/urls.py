"""Public, customer-facing and inbound URLs (mounted at the site root)."""

app_name = "public"

urlpatterns: list = []
