"""Customer self-service pages: status lookup, the customer's ticket page, the FAQ (issue 4).

Merged into the `public` namespace by channels_intake/urls.py; the home page itself is
mounted as `home` in config/urls.py.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("track/", views.track, name="track"),
    path("track/email-link/", views.email_link, name="track_email_link"),
    path("t/<str:token>/", views.ticket_page, name="ticket"),
    path("t/<str:token>/reply/", views.reply, name="ticket_reply"),
    path("t/<str:token>/confirm/", views.confirm, name="ticket_confirm"),
    path("t/<str:token>/dispute/", views.dispute, name="ticket_dispute"),
    path("t/<str:token>/reroute/", views.reroute, name="ticket_reroute"),
    path("t/<str:token>/new-link/", views.new_link, name="ticket_new_link"),
    path("t/<str:token>/files/<int:attachment_id>/", views.attachment, name="ticket_attachment"),
    path("faq/", views.faq, name="faq"),
    path("faq/<slug:slug>/", views.faq_article, name="faq_article"),
    path("privacy/", views.privacy, name="privacy"),
]
