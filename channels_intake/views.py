"""Inbound edges: the public form, the WeChat server endpoint, signed webhooks, the phone-call log.

Views check the request, hand it to services and turn the outcome into a page or a JSON answer.
"""

import hashlib
import hmac
import logging
import math
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from complaints import extensions, selectors
from complaints.models import Ticket

from . import services, webhooks, wechat
from .customer import ratelimit
from .forms import ComplaintForm, PhoneCallForm
from .models import InboundItem, WebhookChannel, WeChatAccount
from .tokens import customer_ticket_url, ticket_token

logger = logging.getLogger(__name__)

SESSION_REFERENCE = "channels_intake.submitted_reference"


# --- web form --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The public complaint form; a valid submission redirects to the success page."""
    if request.method == "POST":
        wait = ratelimit.hit(ratelimit.web_form_limit(request)).retry_after
        if wait:
            return render(
                request,
                "public/submit_rate_limited.html",
                {"minutes": max(1, math.ceil(wait / 60))},
                status=429,
            )
        form = ComplaintForm(request.POST, request.FILES)
        if form.is_bot:
            return render(request, "public/submit_refused.html", status=400)
        if form.is_valid():
            item = services.submit_web_form(
                submission_id=str(form.cleaned_data["submission_id"]),
                fields=form.intake_fields(language=translation.get_language() or settings.LANGUAGE_CODE),
                files=form.cleaned_data["files"],
            )
            if item.state == InboundItem.State.PROCESSED:
                # Only a submission that made a new customer and ticket sees its reference and link;
                # anything else is about a customer we already know by the contact given, and a claimed
                # contact is not proof of identity: they hear from us at the contact on file.
                request.session[SESSION_REFERENCE] = (
                    item.ticket.reference if _is_first_contact(item) else NEUTRAL_RECEIPT
                )
                return redirect("public:submit_done")
            form.add_error(None, item.error)
    else:
        form = ComplaintForm()
    context = {"form": form, "promise_hours": settings.INTAKE["ACK_PROMISE_HOURS"]}
    return render(request, "public/submit.html", context, status=400 if form.errors else 200)


NEUTRAL_RECEIPT = "received"


def _is_first_contact(item: InboundItem) -> bool:
    """A new ticket whose customer has no other ticket: nothing existing to reveal."""
    if item.message_id:
        return False
    return not Ticket.objects.filter(customer_id=item.ticket.customer_id).exclude(pk=item.ticket_id).exists()


def submit_done(request: HttpRequest) -> HttpResponse:
    """The reference, what happens next, and the link to the customer's ticket page; for a customer
    we already knew, a receipt that names no ticket."""
    reference = request.session.get(SESSION_REFERENCE)
    if reference == NEUTRAL_RECEIPT:
        context = {"neutral": True, "promise_hours": settings.INTAKE["ACK_PROMISE_HOURS"]}
        return render(request, "public/submit_done.html", context)
    ticket = selectors.ticket_by_reference(reference)
    if ticket is None:
        return redirect("public:submit")
    context = {
        "ticket": ticket,
        # On our own page the link is relative: it works at whatever address the customer reached us.
        "link": reverse("public:ticket", args=[ticket_token(ticket)]),
        "promise_hours": settings.INTAKE["ACK_PROMISE_HOURS"],
        # The SLA clock's nearest due time is the acknowledgement promise for a new ticket.
        "confirm_by": ticket.sla_due_at,
        "by_email": bool(ticket.customer.email),
    }
    return render(request, "public/submit_done.html", context)


# --- WeChat ----------------------------------------------------------------------------


def _wechat_answer(item: InboundItem) -> str:
    if item.state != InboundItem.State.PROCESSED or item.ticket is None:
        return _("We have received your message and will answer you here soon.")
    context = {
        "ref": item.ticket.reference,
        "hours": settings.INTAKE["ACK_PROMISE_HOURS"],
        "link": customer_ticket_url(item.ticket),
    }
    if item.message is not None:
        return _("We have added your message to your complaint %(ref)s. Follow it here: %(link)s") % context
    answer = (
        _(
            "We have received your complaint. Reference: %(ref)s. We will confirm within %(hours)s hours. "
            "Follow it here: %(link)s"
        )
        % context
    )
    known = extensions.acknowledgement_extras(item.ticket).get("known_issue")
    if known:
        answer += " " + _("This is a known problem: %(title)s. %(notice)s") % known
    return answer


def _plain_text(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _declared_too_big(request: HttpRequest, limit: int) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return True


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_endpoint(request: HttpRequest, slug: str) -> HttpResponse:
    """The official account's server URL: GET handshake (echostr), POST messages with a passive reply,
    in plain-text or safe (AES) mode."""
    account = WeChatAccount.objects.filter(slug=slug, is_active=True).first()
    if account is None:
        return _plain_text("unknown account", 404)
    timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
    if account.kind == WeChatAccount.Kind.KF:
        return _kf_endpoint(request, account, timestamp=timestamp, nonce=nonce)
    safe = request.method == "POST" and request.GET.get("encrypt_type", "") == "aes"
    if not safe and not wechat.signature_is_valid(
        token=account.token, timestamp=timestamp, nonce=nonce, given=request.GET.get("signature", "")
    ):
        return _plain_text("invalid signature", 403)
    if request.method == "GET":
        return _plain_text(request.GET.get("echostr", ""), 200)
    if _declared_too_big(request, wechat.MAX_BODY_BYTES) or len(request.body) > wechat.MAX_BODY_BYTES:
        return _plain_text(f"message larger than {wechat.MAX_BODY_BYTES} bytes", 413)
    body = request.body
    if safe:
        if not account.encoding_aes_key:
            return _plain_text("safe mode is not configured for this account (EncodingAESKey)", 400)
        try:
            encrypted = wechat.envelope_ciphertext(body)
        except wechat.WeChatError as exc:
            return _plain_text(exc.message, 400)
        given = request.GET.get("msg_signature", "").lower()
        expected = wechat.msg_signature(account.token, timestamp, nonce, encrypted)
        if not (timestamp and nonce and given) or not hmac.compare_digest(expected, given):
            return _plain_text("invalid msg_signature", 403)
        try:
            body = wechat.decrypt(
                encrypted=encrypted, encoding_aes_key=account.encoding_aes_key, app_id=account.app_id
            )
        except wechat.WeChatError as exc:
            services.keep_refused_wechat(account=account, raw=body, error=exc.message)
            return _plain_text(exc.message, 400)
    try:
        message = wechat.parse_message(body)
    except wechat.WeChatError as exc:
        # Signed by the platform's token, so kept for a supervisor to see (one row per distinct body).
        services.keep_refused_wechat(account=account, raw=body, error=exc.message)
        return _plain_text(exc.message, 400)
    if not message.is_supported:
        # Events (subscribe, menu clicks) and other types: the platform expects "success" and no reply.
        return _plain_text("success", 200)
    with wechat.answering_passively(), translation.override("zh-hans"):
        item = services.receive_wechat(account=account, xml=body.decode("utf-8"))
        reply = wechat.passive_reply(message=message, content=_wechat_answer(item))
    if safe:
        reply = wechat.encrypted_reply(
            xml=reply,
            token=account.token,
            encoding_aes_key=account.encoding_aes_key,
            app_id=account.app_id,
            nonce=nonce,
        )
    return HttpResponse(reply, content_type="application/xml; charset=utf-8")


def _msg_signature_is_valid(request: HttpRequest, account: WeChatAccount, *, encrypted: str) -> bool:
    timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
    given = request.GET.get("msg_signature", "").lower()
    expected = wechat.msg_signature(account.token, timestamp, nonce, encrypted)
    return bool(timestamp and nonce and given) and hmac.compare_digest(expected, given)


def _kf_endpoint(request: HttpRequest, account: WeChatAccount, *, timestamp: str, nonce: str) -> HttpResponse:
    """Enterprise WeChat customer service: always encrypted (the receiver id is the corp id); the push
    only says that messages wait, and a task fetches them (kf/sync_msg)."""
    if not account.encoding_aes_key:
        return _plain_text("Enterprise WeChat needs the account's EncodingAESKey", 400)
    if request.method == "GET":
        echo = request.GET.get("echostr", "")
        if not _msg_signature_is_valid(request, account, encrypted=echo):
            return _plain_text("invalid msg_signature", 403)
        try:
            plain = wechat.decrypt(
                encrypted=echo, encoding_aes_key=account.encoding_aes_key, app_id=account.app_id
            )
        except wechat.WeChatError as exc:
            return _plain_text(exc.message, 400)
        return HttpResponse(plain, content_type="text/plain; charset=utf-8")
    if _declared_too_big(request, wechat.MAX_BODY_BYTES) or len(request.body) > wechat.MAX_BODY_BYTES:
        return _plain_text(f"message larger than {wechat.MAX_BODY_BYTES} bytes", 413)
    try:
        encrypted = wechat.envelope_ciphertext(request.body)
    except wechat.WeChatError as exc:
        return _plain_text(exc.message, 400)
    if not _msg_signature_is_valid(request, account, encrypted=encrypted):
        return _plain_text("invalid msg_signature", 403)
    try:
        body = wechat.decrypt(
            encrypted=encrypted, encoding_aes_key=account.encoding_aes_key, app_id=account.app_id
        )
        message = wechat.parse_message(body)
    except wechat.WeChatError as exc:
        services.keep_refused_wechat(account=account, raw=request.body, error=exc.message)
        return _plain_text(exc.message, 400)
    if message.msg_type == "event" and message.event == wechat.KF_EVENT and message.token:
        services.queue_kf_sync(account=account, event_token=message.token)
    return _plain_text("success", 200)


# --- signed JSON webhooks ----------------------------------------------------------------


def _error(exc: webhooks.WebhookRefused) -> JsonResponse:
    body = {"error": {"code": exc.code, "message": exc.message, **exc.detail}}
    return JsonResponse(body, status=exc.http_status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, slug: str) -> JsonResponse:
    """A signed push: 202 with the reference, or a JSON error saying what to fix."""
    try:
        return _webhook(request, slug)
    except webhooks.WebhookRefused as exc:
        return _error(exc)


def _webhook(request: HttpRequest, slug: str) -> JsonResponse:
    channel = WebhookChannel.objects.filter(slug=slug, is_active=True).first()
    if channel is None:
        raise webhooks.WebhookRefused(
            _("There is no webhook channel %(slug)s.") % {"slug": slug}, status=404, code="unknown_channel"
        )
    if _declared_too_big(request, webhooks.MAX_BODY_BYTES):
        raise webhooks.WebhookRefused(
            _("The body is larger than %(n)s bytes.") % {"n": webhooks.MAX_BODY_BYTES},
            status=413,
            code="body_too_large",
        )
    body = request.body
    webhooks.verify(
        secret=channel.secret,
        timestamp=request.headers.get("X-Timestamp", ""),
        signature=request.headers.get("X-Signature", ""),
        body=body,
        now=time.time(),
    )
    try:
        if len(body) > webhooks.MAX_BODY_BYTES:
            raise webhooks.WebhookRefused(
                _("The body is larger than %(n)s bytes.") % {"n": webhooks.MAX_BODY_BYTES},
                status=413,
                code="body_too_large",
            )
        payload = webhooks.WebhookPayload.from_json(body)  # refused before it is stored as an item
    except webhooks.WebhookRefused as exc:
        # Signed, so the platform's own: kept failed, under its hash (the Idempotency-Key stays free
        # for the corrected push).
        services.keep_refused_push(channel=channel, raw=body, error=exc.message)
        raise
    key = request.headers.get("Idempotency-Key", "").strip() or "sha256:" + hashlib.sha256(body).hexdigest()
    if len(key) > 200:
        raise webhooks.WebhookRefused(
            _("The Idempotency-Key is longer than 200 characters."),
            status=400,
            code="idempotency_key_invalid",
        )
    item, created = services.receive(
        channel=channel.channel,
        source_id=f"{channel.pk}:{key}",
        raw=body.decode("utf-8"),
        webhook_channel=channel,
    )
    if not created and item.raw != body.decode("utf-8"):
        raise webhooks.WebhookRefused(
            _("This Idempotency-Key was already used with a different body."),
            status=409,
            code="idempotency_conflict",
        )
    item = services.process_item(item_id=item.pk)
    if item.state != InboundItem.State.PROCESSED:
        raise webhooks.WebhookRefused(item.error, status=400, code="not_processed")
    ticket = item.ticket
    if item.message_id and not payload.user_id:
        # Added to the open ticket of the customer the e-mail or phone names: a claimed contact is not
        # proof of identity, so the answer says nothing about that ticket (the customer is told).
        return JsonResponse(
            {"reference": None, "status": None, "result": "received", "replayed": not created}, status=202
        )
    return JsonResponse(
        {
            "reference": ticket.reference,
            "status": ticket.status,
            "result": "message_added" if item.message_id else "ticket_opened",
            "replayed": not created,
        },
        status=202,
    )


# --- phone calls ---------------------------------------------------------------------------


@login_required
@permission_required("channels_intake.log_phone_call", raise_exception=True)
@require_http_methods(["GET", "POST"])
def phone_call(request: HttpRequest) -> HttpResponse:
    """Agents log a call: a new ticket on channel phone, or a message on the caller's ticket."""
    if request.method == "POST":
        form = PhoneCallForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            item = services.log_phone_call(
                actor=request.user,
                call_id=str(form.cleaned_data["call_id"]),
                fields=form.intake_fields(language=settings.LANGUAGE_CODE),
                files=form.cleaned_data["files"],
            )
            if item.state == InboundItem.State.PROCESSED:
                if not selectors.tickets_visible_to(request.user).filter(pk=item.ticket_id).exists():
                    # Added to the caller's ticket with another team: the record is there, and its
                    # reference is not this agent's to know; that team is told.
                    messages.success(
                        request, _("The call was added to the caller's ticket with another team.")
                    )
                    return redirect("desk:queue")
                if item.message_id:
                    text = _("The call was added to %(ref)s.")
                else:
                    text = _("Ticket %(ref)s opened for the call.")
                messages.success(request, text % {"ref": item.ticket.reference})
                return redirect(reverse("desk:ticket", args=[item.ticket.reference]))
            form.add_error(None, item.error)
    else:
        form = PhoneCallForm()
    return render(request, "desk/phone_call.html", {"form": form}, status=400 if form.errors else 200)
