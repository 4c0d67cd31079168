"""Public, customer-facing and inbound URLs, mounted at the site root under the `public` namespace."""

from .customer.urls import urlpatterns as customer_urlpatterns
from .intake_urls import urlpatterns as intake_urlpatterns

app_name = "public"

urlpatterns = [*intake_urlpatterns, *customer_urlpatterns]
