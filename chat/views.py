"""The chat's pages: the customer's pre-chat form and chat (framable by the sites allowed to embed it),
image upload, images, and the agents' console. The conversation itself runs over the WebSocket
(consumers.py)."""

import functools
import math
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_intake.customer import ratelimit
from channels_intake.tokens import ticket_token
from complaints import policy
from complaints.attachments import check_upload
from complaints.errors import ComplaintError
from complaints.models import Attachment

from . import selectors, services
from .consumers import message_limits
from .forms import PreChatForm
from .models import Chat
from .tokens import chat_from_token, chat_token


def embeddable(view: Callable) -> Callable:
    """Framable by our own pages and the origins in CHAT["EMBED_ORIGINS"] (the embed snippet's sites)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.xframe_options_exempt = True
        response._csp_config = {
            **settings.SECURE_CSP,
            "frame-ancestors": [CSP.SELF, *settings.CHAT["EMBED_ORIGINS"]],
        }
        return response

    return wrapped


# The customer's pages carry no session: their only credential is the chat's signed token, in the
# address. So there is no cookie for a forged cross-site request to ride on, and a framed widget on
# another site (where our cookies are third-party) still works: CSRF checks are off on these two.
@csrf_exempt
@embeddable
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """/chat/: the pre-chat form (?topic=<category slug> preselects the topic)."""
    if request.method == "POST":
        form = PreChatForm(request.POST)
        if form.is_valid():
            ip = ratelimit.client_ip(request)
            limit = ratelimit.Limit("chat-start-ip", ip, settings.CHAT["CHATS_PER_IP_PER_HOUR"], 3600)
            verdict = ratelimit.hit(limit)
            if not verdict.allowed:
                minutes = max(1, math.ceil(verdict.retry_after / 60))
                return render(request, "public/rate_limited.html", {"minutes": minutes}, status=429)
            try:
                started = services.start_chat(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data["phone"],
                    topic=form.cleaned_data["topic"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    ip=ip if ip != "unknown" else None,
                )
            except ComplaintError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("chat:room", token=chat_token(started.chat))
    else:
        form = PreChatForm(initial={"topic": request.GET.get("topic", "")})
    return render(request, "public/chat/start.html", {"form": form}, status=400 if form.errors else 200)


def _chat_or_404(token: str) -> Chat:
    try:
        return chat_from_token(token)
    except (signing.BadSignature, Chat.DoesNotExist):
        raise Http404("No such chat.") from None


@embeddable
@require_GET
def room(request: HttpRequest, token: str) -> HttpResponse:
    """/chat/c/<token>/: the conversation (the WebSocket carries it) and, at its end, the rating."""
    chat = _chat_or_404(token)
    context = {
        "chat": chat,
        "token": token,
        "max_chars": settings.CHAT["MESSAGE_MAX_CHARS"],
        "upload_url": reverse("chat:upload", args=[token]),
        "file_url": reverse("chat:customer_file", args=[token, 0]),
        "transcript_url": reverse("chat:transcript", args=[token]),
    }
    return render(request, "public/chat/room.html", context)


@require_GET
def transcript(request: HttpRequest, token: str) -> HttpResponse:
    """The transcript link: the customer's signed ticket page, where the chat's messages are the
    ticket's messages; a customer we already knew (a claimed contact) is told it comes by mail."""
    chat = _chat_or_404(token)
    if chat.ticket_id is None:
        raise Http404("The chat has no messages yet.")
    if chat.reveals_ticket:
        return redirect("public:ticket", ticket_token(chat.ticket))
    return render(request, "public/chat/transcript_by_mail.html", {"chat": chat})


@csrf_exempt
@require_POST
def upload(request: HttpRequest, token: str) -> JsonResponse:
    """An image from the widget: the web form's checks, stored as the customer's message, then acknowledged."""
    chat = _chat_or_404(token)
    files = request.FILES.getlist("file")
    client_id = request.POST.get("client_id", "")
    ip = ratelimit.client_ip(request)
    with translation.override(chat.language):
        if services.is_blocked(customer_id=chat.customer_id, ip=chat.ip) or services.is_blocked(ip=ip):
            exc = services.blocked_refusal()
            return JsonResponse({"code": exc.code, "message": exc.message}, status=403)
        if not ratelimit.hit(*message_limits(chat.pk, ip)).allowed:
            message = gettext("You are sending too fast. Please wait a few seconds.")
            return JsonResponse({"code": "rate_limited", "message": message, "retry": 10}, status=429)
        if len(files) != 1:
            return JsonResponse({"code": "no_file", "message": gettext("Send one image.")}, status=400)
        try:
            checked = check_upload(files[0])
            if not checked.content_type.startswith("image/"):
                raise services.ChatRefused(str(_image_only()), code="not_image")
            said = services.customer_says(
                chat_id=chat.pk,
                client_id=client_id,
                text=request.POST.get("text", ""),
                files=[checked],
                ip=ip if ip != "unknown" else None,
            )
        except ComplaintError as exc:
            status = 403 if getattr(exc, "code", "") == "blocked" else 400
            return JsonResponse(
                {"code": getattr(exc, "code", "refused"), "message": exc.message}, status=status
            )
    return JsonResponse(
        {"type": "ack", "client_id": client_id, "id": said.message_id, "duplicate": said.duplicate}
    )


def _image_only() -> str:
    from django.utils.translation import gettext

    return gettext("Only images can be sent in the chat; other files go with the complaint form.")


@require_GET
def customer_file(request: HttpRequest, token: str, pk: int) -> FileResponse:
    """An image of this chat, for the customer's page (bound to the chat's token)."""
    chat = _chat_or_404(token)
    # Only this chat's own images: a chat folded into an older ticket shows nothing else of it.
    own = Q(message__external_id__startswith=chat.message_prefix)
    if chat.opening_client_id:
        own |= Q(message__isnull=True)
    attachment = (
        Attachment.objects.filter(own, pk=pk, ticket_id=chat.ticket_id).first() if chat.ticket_id else None
    )
    if attachment is None or not attachment.content_type.startswith("image/"):
        raise Http404("No such image.")
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """/desk/chat/: availability, offers, live conversations."""
    if not policy.may_use_desk(request.user):
        raise Http404
    presence = services.presence_for(request.user)
    context = {"presence": presence, "max_chars": settings.CHAT["MESSAGE_MAX_CHARS"]}
    return render(request, "desk/chat/console.html", context)


@login_required
@require_GET
def console_articles(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    """/desk/chat/<chat>/articles/?q=: the knowledge-base search of the console, for a chat of this agent."""
    if not policy.may_use_desk(request.user):
        raise Http404
    chat = Chat.objects.select_related("topic").filter(public_id=public_id, agent=request.user).first()
    if chat is None:
        return JsonResponse({"error": gettext("No such chat, or it is not yours.")}, status=404)
    return JsonResponse({"articles": selectors.kb_articles_for_chat(chat, request.GET.get("q", ""))})
