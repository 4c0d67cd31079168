"""Customer self-service pages: status lookup and the customer's ticket page (issue 4)."""

urlpatterns: list = []
