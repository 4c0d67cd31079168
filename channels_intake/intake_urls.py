"""Inbound channels: the web form, webhooks, the WeChat endpoint (issue 3)."""

urlpatterns: list = []
