"""Brute-force protection for signing in and resetting a password.

Failed sign-ins (the desk's /accounts/login/, the admin's login and POST /api/v1/auth/token/) are
counted by django-axes, per account name and per client address; the settings are LOGIN_* in
config/settings.py. A lockout answers the same for an account that exists and one that does not:
axes counts the name typed, whatever it names. Password-reset mails are limited per address and per
client with the public pages' limiter, and the page reads the same whether a mail went or not.
"""

import ipaddress
import logging
from datetime import timedelta
from math import ceil
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from channels_intake.customer.ratelimit import Limit, client_ip, hit
from complaints.api.exceptions import error_body

log = logging.getLogger(__name__)


class LoginAttemptsHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per account and a higher one per client address.

    Axes compares the largest failure count of its lockout parameters with one limit. A single
    limit would either lock a whole office behind one NAT address after a few typos, or let one
    address try many accounts. So the address's count is scaled to the account's limit: it reaches
    it exactly when the address has failed LOGIN_FAILURES_PER_IP times.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        per_account = settings.AXES_FAILURE_LIMIT
        per_ip = max(settings.LOGIN_FAILURES_PER_IP, 1)
        failures = 0
        for attempts, parameters in zip(
            self.get_user_attempts(request, credentials), settings.AXES_LOCKOUT_PARAMETERS, strict=True
        ):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if parameters == ["ip_address"]:
                count = count * per_account // per_ip
            failures = max(failures, count)
        return failures


def client_address(request: HttpRequest) -> str | None:
    """The client address the public pages' rate limits count (API_NUM_PROXIES), as axes stores it.

    Axes keeps it in a GenericIPAddressField: PostgreSQL refuses anything but an address, so a
    request without one (a test client's sign-in) or a forwarded header that is not one counts
    as no address rather than failing the sign-in.

    An IPv6 client counts as its /64: one line or household is given a whole /64, so rotating
    addresses inside it would otherwise dodge the per-address limit.
    """
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _cool_off_minutes(request: HttpRequest) -> int:
    cool_off = get_cool_off(request) or timedelta(0)
    return max(1, ceil(cool_off.total_seconds() / 60))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """Axes' answer to a locked-out sign-in: 429, a page for people and JSON for the API.

    It names neither the account nor whether it exists; a failure during the lockout starts the
    cool-off again (axes' default), so the wait is the whole cool-off.
    """
    minutes = _cool_off_minutes(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body(
                "throttled",
                _("Too many failed sign-in attempts. Try again later."),
                detail={"retry_after_seconds": minutes * 60},
            ),
            status=429,
        )
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, sending at most PASSWORD_RESETS_PER_ADDRESS mails an hour to one address
    and answering at most PASSWORD_RESETS_PER_IP requests an hour from one client with a mail.

    Over a limit nothing is sent and the page is the same "if an account uses that address" page,
    so neither the limit nor the existence of an account shows.
    """

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        verdict = hit(
            Limit("pw-reset-ip", client_ip(self.request), settings.PASSWORD_RESETS_PER_IP, 3600),
            Limit("pw-reset-address", email, settings.PASSWORD_RESETS_PER_ADDRESS, 3600),
        )
        if not verdict.allowed:
            log.warning("password reset over its limit from %s: no mail sent", client_ip(self.request))
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
