"""Hand-off e-mail to partners: composed on the hand-off's own thread and sent by tasks.send_handoff_mail.

The subject carries the hand-off's reference ([HO-…]), never the ticket's; Message-ID, In-Reply-To and
References chain every mail of the hand-off, so the partner's answer threads back by either. The text
is the agent's: nothing about the customer is added unless the agent chose to include it.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from channels_intake import mailparse, outbound
from complaints.notifications import header_text

from .models import HandoffMail


def thread_headers(mail: HandoffMail) -> dict[str, str]:
    """In-Reply-To the latest earlier mail of the hand-off, References all of them (the last ten)."""
    earlier = list(
        HandoffMail.objects.filter(handoff_id=mail.handoff_id, created_at__lte=mail.created_at)
        .exclude(pk=mail.pk)
        .exclude(direction=HandoffMail.Direction.OUT, state=HandoffMail.DeliveryState.FAILED)
        .order_by("created_at", "pk")
        .values_list("email_message_id", flat=True)
    )[-10:]
    if not earlier:
        return {}
    return {"In-Reply-To": earlier[-1], "References": " ".join(earlier)}


def build_email(mail: HandoffMail) -> EmailMessage:
    handoff = mail.handoff
    partner = handoff.partner
    reply_to = outbound.reply_to_address(handoff.ticket)
    with translation.override(partner.language):
        context = {"handoff": handoff, "partner": partner, "mail": mail, "body": mail.body}
        subject = render_to_string("emails/handoff_subject.txt", context).strip()
        text = render_to_string("emails/handoff.txt", context)
    headers = {
        "Message-ID": mail.email_message_id,
        **thread_headers(mail),
        # Our loop markers: mail that comes back carrying them is never taken in (mailparse.loop_reason).
        "X-Loop": reply_to,
        mailparse.OWN_LOOP_HEADER: settings.INTAKE["MESSAGE_ID_DOMAIN"],
    }
    return EmailMessage(
        subject=header_text(f"[{handoff.reference}] {subject}"),
        body=text,
        to=[mail.address],
        cc=[mail.cc] if mail.cc else [],
        reply_to=[reply_to],
        headers=headers,
    )


def send_handoff_mail(*, mail_id: int, final_attempt: bool = False) -> HandoffMail | None:
    """Send one queued hand-off mail; a sent one is left alone, a failure recorded and re-raised."""
    try:
        with transaction.atomic():
            mail = (
                HandoffMail.objects.select_for_update(of=("self",))
                .select_related("handoff__partner", "handoff__ticket")
                .filter(pk=mail_id, direction=HandoffMail.Direction.OUT)
                .first()
            )
            if mail is None or mail.state == HandoffMail.DeliveryState.SENT:
                return mail
            build_email(mail).send()
            mail.state, mail.sent_at = HandoffMail.DeliveryState.SENT, timezone.now()
            mail.attempts += 1
            mail.last_error = ""
            mail.save(update_fields=["state", "sent_at", "attempts", "last_error"])
            return mail
    except Exception as exc:
        HandoffMail.objects.filter(pk=mail_id).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            state=HandoffMail.DeliveryState.FAILED if final_attempt else HandoffMail.DeliveryState.QUEUED,
        )
        raise
