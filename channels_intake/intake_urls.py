"""Inbound channels: the web form, webhooks, the WeChat endpoint, the agents' phone-call log (issue 3)."""

from django.urls import path

from . import views

urlpatterns = [
    path("submit/", views.submit, name="submit"),
    path("submit/done/", views.submit_done, name="submit_done"),
    path("intake/wechat/<slug:slug>/", views.wechat_endpoint, name="wechat"),
    path("intake/webhooks/<slug:slug>/", views.webhook, name="webhook"),
    path("intake/phone/", views.phone_call, name="phone_call"),
    # The address the agents' portal contract names for logging a call.
    path("desk/calls/new/", views.phone_call, name="phone_call_desk"),
]
