"""The IMAP intake's claimer for partners' mail (registered in apps.py): an answer on a hand-off's
thread lands on that hand-off, whoever claims to send it (flagged unless it is the partner's address
and our mail server did not find the sender forged), and mail from a partner's address never
becomes a customer's message, whatever its headers say."""

import re
from typing import Any

from django.utils.translation import gettext as _

from channels_intake import mailauth
from complaints import config_cache
from complaints.extensions import ClaimedMail

from . import services
from .models import HANDOFF_REFERENCE_PATTERN, Handoff, HandoffMail, Partner

REFERENCE_RE = re.compile(HANDOFF_REFERENCE_PATTERN)


def handoff_of(parsed: Any) -> Handoff | None:
    """The hand-off a mail answers: by the Message-IDs it replies to, else by [HO-…] in its subject."""
    ids = [f"<{mid}>" for mid in parsed.thread_ids]
    if ids:
        mail = HandoffMail.objects.filter(email_message_id__in=ids).select_related("handoff").first()
        if mail is not None:
            return mail.handoff
    match = REFERENCE_RE.search((parsed.subject or "").upper())
    if match:
        return Handoff.objects.filter(reference=match.group(0)).first()
    return None


def partner_addresses() -> dict[str, int]:
    """Every partner's addresses (retired ones too) -> the partner's id, kept per process like the rest
    of the configuration: a customer's new mail costs no query here."""

    def load() -> dict[str, int]:
        found: dict[str, int] = {}
        for pk, email, escalation in Partner.objects.values_list("pk", "email", "escalation_email"):
            for address in (email, escalation):
                if address:
                    found.setdefault(address.strip().lower(), pk)
        return found

    return config_cache.cached("handoffs.partner_addresses", load)


def claim_partner_mail(parsed: Any, *, files: list[Any]) -> ClaimedMail | None:
    handoff = handoff_of(parsed)
    sender = (parsed.from_address or "").strip().lower()
    if handoff is None:
        partner_id = partner_addresses().get(sender)
        if partner_id is None:
            return None  # a customer's mail (or anyone's): the customer threading decides
        partner = Partner.objects.get(pk=partner_id)
        raise services.UnmatchedPartnerMail(
            _(
                "Mail from %(partner)s's address that answers none of their hand-offs: kept here, not posted to any ticket."
            )
            % {"partner": partner}
        )
    _mail, note = services.record_partner_answer(
        handoff_id=handoff.pk,
        sender=sender,
        sender_name=parsed.from_name,
        body=parsed.text or parsed.subject,
        message_id=parsed.message_id,
        files=files,
        # Our mail server's verdict: a From that fails DMARC is not the partner's, whatever it says.
        verified=mailauth.sender_verified(parsed),
    )
    return ClaimedMail(ticket_id=handoff.ticket_id, message=note)
