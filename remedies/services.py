"""Every write of the remedies app: hold a resolution whose remedy needs sign-off, approve (or change)
and refuse it, record its fulfilment done or failed, and warn of overdue fulfilment once.

Each step goes on the ticket's timeline as an internal note through the core's services; an approved
held resolution is applied through the core's resolve, so the customer is told only then.
"""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import naming
from complaints import services as complaint_services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.models import Message, RootCause, Ticket
from config.celery import queue_after_commit

from . import policy
from .models import DEFAULT_DUE_DAYS, FULFILLED_TYPES, ApprovalLevel, Fulfilment, FulfilmentTerm, Remedy

Actor = AbstractBaseUser | None
MAX_REFERENCE = 100
MAX_REASON = 2000


def describe(remedy: Remedy) -> str:
    """ "Refund 300.00 CNY" in the active language."""
    if remedy.amount:
        return _("%(type)s %(amount)s %(currency)s") % {
            "type": remedy.get_remedy_type_display(),
            "amount": remedy.amount,
            "currency": remedy.currency,
        }
    return str(remedy.get_remedy_type_display())


def _note(ticket_id: int, actor: Actor, body: str) -> None:
    # Written in the site's language: internal notes are stored text, read by the whole team.
    complaint_services.add_message(ticket_id=ticket_id, actor=actor, kind=Message.Kind.NOTE, body=body)


def _amount(value: Decimal | int | str | None) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as bad:
        raise policy.AmountRefused(_("The amount is not a number.")) from bad
    if not amount.is_finite():
        raise policy.AmountRefused(_("The amount is not a number."))
    return amount


def _reason(reason: str, *, required: bool, why: str) -> str:
    reason = complaint_services.sanitise(reason or "")[:MAX_REASON]
    if required and not reason:
        raise ComplaintError(why)
    return reason


# --- proposing: the core's resolve asks (extensions.RESOLVE_HOLDS) ------------------------------


def hold_for_approval(
    *,
    ticket: Ticket,
    actor: Actor,
    root_cause: RootCause,
    steps_taken: str,
    remedy: str,
    amount: Decimal | int | str,
) -> bool:
    """Record the remedy of a resolution (inside the core's resolve, the ticket locked). One that needs
    a lead's or supervisor's sign-off is stored with the resolution and holds it back (True); one
    within the agent's own limit is approved at once and the resolution goes ahead (False)."""
    if not remedy or remedy == "none":
        return False
    amount = _amount(amount)
    if Remedy.objects.filter(ticket=ticket, state=Remedy.State.AWAITING_APPROVAL).exists():
        raise IllegalTransition(_("A remedy on this ticket already awaits approval."))
    needed = policy.approval_needed(ticket, remedy, amount)
    held = needed.level > ApprovalLevel.AGENT
    now = timezone.now()
    proposer = complaint_services.acting_user(actor)
    row = Remedy.objects.create(
        ticket=ticket,
        remedy_type=remedy,
        amount=amount,
        proposed_amount=amount,
        state=Remedy.State.AWAITING_APPROVAL if held else Remedy.State.APPROVED,
        required_level=needed.level,
        rule=needed.rule,
        proposed_by=proposer,
        root_cause=root_cause,
        steps_taken=complaint_services.sanitise(steps_taken),
        team_id=ticket.team_id,
    )
    if not held:
        # Within the agent's own limit: approved as proposed, at once (no approver).
        row.decided_at = row.proposed_at
        row.save(update_fields=["decided_at"])
        _start_fulfilment(row, now)
        return False
    queue_after_commit("remedies.tasks.ask_for_approval", row.pk)
    _note(
        ticket.pk,
        actor,
        _(
            "Remedy proposed: %(remedy)s. It awaits the approval of %(who)s; the resolution is held until then."
        )
        % {"remedy": describe(row), "who": ApprovalLevel(needed.level).label.lower()},
    )
    return True


def _start_fulfilment(remedy: Remedy, now: datetime) -> Fulfilment | None:
    if remedy.remedy_type not in FULFILLED_TYPES:
        return None
    term = (
        FulfilmentTerm.objects.filter(remedy_type=remedy.remedy_type).values_list("days", flat=True).first()
    )
    days = DEFAULT_DUE_DAYS if term is None else term
    return Fulfilment.objects.create(remedy=remedy, due_at=now + timedelta(days=days))


def close_refusal(ticket: Ticket) -> str | None:
    """The close guard: a ticket whose remedy awaits approval is not closed under it."""
    if Remedy.objects.filter(ticket_id=ticket.pk, state=Remedy.State.AWAITING_APPROVAL).exists():
        return _("A remedy on this ticket awaits approval: approve or refuse it first.")
    return None


# --- deciding ------------------------------------------------------------------------------


def _lock_awaiting(remedy_id: int) -> Remedy:
    """Lock the ticket, then the remedy (the core's resolve locks in the same order)."""
    ticket_id = Remedy.objects.filter(pk=remedy_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise ComplaintError(_("There is no such remedy."))
    complaint_services.lock_ticket(ticket_id)
    remedy = (
        Remedy.objects.select_for_update(of=("self",))
        .select_related("ticket__category", "root_cause")
        .get(pk=remedy_id)
    )
    if remedy.state != Remedy.State.AWAITING_APPROVAL:
        raise IllegalTransition(
            _("This remedy was already decided: %(state)s.") % {"state": remedy.get_state_display()}
        )
    return remedy


def approve(
    *, remedy_id: int, actor: Actor, amount: Decimal | int | str | None = None, reason: str = ""
) -> Remedy:
    """Approve a held remedy (at a changed amount, with a reason, when given) and apply its resolution
    through the core's resolve, which tells the customer; the fulfilment item starts its clock."""
    with transaction.atomic():
        remedy = _lock_awaiting(remedy_id)
        new_amount = None if amount in (None, "") else _amount(amount)
        changed = new_amount is not None and new_amount != remedy.amount
        policy.ensure_can_decide(actor, remedy, amount=new_amount if changed else None)
        reason = _reason(reason, required=changed, why=_("Say why the amount is changed."))
        if changed:
            policy.ensure_amount_allowed(new_amount, remedy.rule)
            remedy.amount = new_amount
        now = timezone.now()
        remedy.state = Remedy.State.CHANGED if changed else Remedy.State.APPROVED
        remedy.decided_by, remedy.decided_at, remedy.reason = actor, now, reason
        remedy.save(update_fields=["state", "amount", "decided_by", "decided_at", "reason"])
        if changed:
            body = _(
                "Remedy approved with a changed amount by %(who)s: %(remedy)s (proposed %(before)s). %(why)s"
            )
        else:
            body = _("Remedy approved by %(who)s: %(remedy)s. %(why)s")
        _note(
            remedy.ticket_id,
            actor,
            body
            % {
                "who": naming.user_name(actor),
                "remedy": describe(remedy),
                "before": remedy.proposed_amount,
                "why": reason,
            },
        )
        complaint_services.resolve(
            ticket_id=remedy.ticket_id,
            actor=remedy.proposed_by,
            version=None,
            root_cause=remedy.root_cause,
            steps_taken=remedy.steps_taken,
            remedy=remedy.remedy_type,
            amount=remedy.amount,
            consult_holds=False,
        )
        _start_fulfilment(remedy, now)
    return remedy


def refuse(*, remedy_id: int, actor: Actor, reason: str) -> Remedy:
    """Refuse a held remedy with a reason; the ticket stays open for the agent to resolve again."""
    with transaction.atomic():
        remedy = _lock_awaiting(remedy_id)
        policy.ensure_can_decide(actor, remedy)
        reason = _reason(reason, required=True, why=_("Say why the remedy is refused."))
        remedy.state, remedy.decided_by, remedy.decided_at, remedy.reason = (
            Remedy.State.REFUSED,
            actor,
            timezone.now(),
            reason,
        )
        remedy.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        _note(
            remedy.ticket_id,
            actor,
            _("Remedy refused by %(who)s: %(remedy)s. Why: %(why)s")
            % {"who": naming.user_name(actor), "remedy": describe(remedy), "why": reason},
        )
    return remedy


# --- fulfilment ----------------------------------------------------------------------------


def fulfilment_of(remedy_id: int) -> int:
    """The fulfilment item of a remedy, refusing a remedy that has none (refused, awaiting, an apology)."""
    remedy = Remedy.objects.filter(pk=remedy_id).select_related("fulfilment").first()
    if remedy is None:
        raise ComplaintError(_("There is no such remedy."))
    if remedy.state == Remedy.State.REFUSED:
        raise IllegalTransition(_("This remedy was refused; there is nothing to fulfil."))
    if remedy.state == Remedy.State.AWAITING_APPROVAL:
        raise IllegalTransition(_("This remedy awaits approval; it cannot be fulfilled yet."))
    fulfilment = getattr(remedy, "fulfilment", None)
    if fulfilment is None:
        raise IllegalTransition(_("This remedy has nothing to fulfil."))
    return fulfilment.pk


def fulfil_many(*, fulfilment_ids: list[int], actor: Actor, reference: str) -> list[Fulfilment]:
    """Record pending items done with the payment or transaction reference; any other state refuses all."""
    policy.ensure_can_fulfil(actor)
    reference = " ".join((reference or "").split())
    if not reference:
        raise ComplaintError(_("Give the payment or transaction reference."))
    if len(reference) > MAX_REFERENCE:
        raise ComplaintError(_("The reference is longer than %(n)s characters.") % {"n": MAX_REFERENCE})
    with transaction.atomic():
        items = list(
            Fulfilment.objects.select_for_update(of=("self",))
            .select_related("remedy")
            .filter(pk__in=fulfilment_ids)
            .order_by("pk")
        )
        if not items or len(items) != len(set(fulfilment_ids)):
            raise ComplaintError(_("There is no such fulfilment item."))
        if stuck := [item for item in items if item.state != Fulfilment.State.PENDING]:
            raise IllegalTransition(
                _("Only pending items can be recorded done; %(item)s is %(state)s.")
                % {"item": describe(stuck[0].remedy), "state": stuck[0].get_state_display()}
            )
        now = timezone.now()
        for item in items:
            item.state, item.reference, item.done_at, item.done_by = (
                Fulfilment.State.DONE,
                reference,
                now,
                actor,
            )
            item.save(update_fields=["state", "reference", "done_at", "done_by"])
            _note(
                item.remedy.ticket_id,
                actor,
                _("%(remedy)s fulfilled (reference %(ref)s).")
                % {"remedy": describe(item.remedy), "ref": reference},
            )
    return items


def fulfil(*, fulfilment_id: int, actor: Actor, reference: str) -> Fulfilment:
    return fulfil_many(fulfilment_ids=[fulfilment_id], actor=actor, reference=reference)[0]


def fail(*, fulfilment_id: int, actor: Actor, reason: str) -> Fulfilment:
    """Record a pending item failed, with the reason (the owner then proposes another remedy)."""
    policy.ensure_can_fulfil(actor)
    reason = _reason(reason, required=True, why=_("Say why the fulfilment failed."))
    with transaction.atomic():
        item = (
            Fulfilment.objects.select_for_update(of=("self",))
            .select_related("remedy")
            .filter(pk=fulfilment_id)
            .first()
        )
        if item is None:
            raise ComplaintError(_("There is no such fulfilment item."))
        if item.state != Fulfilment.State.PENDING:
            raise IllegalTransition(
                _("Only a pending item can fail; this one is %(state)s.")
                % {"state": item.get_state_display()}
            )
        item.state, item.failure_reason, item.done_by = Fulfilment.State.FAILED, reason, actor
        item.save(update_fields=["state", "failure_reason", "done_by"])
        _note(
            item.remedy.ticket_id,
            actor,
            _("%(remedy)s could not be fulfilled: %(why)s")
            % {"remedy": describe(item.remedy), "why": reason},
        )
    return item


def warn_overdue(*, now: datetime | None = None, batch_size: int = 200) -> list[int]:
    """Mark each pending item past its due time as warned, once, and queue the owner's mail. Rows are
    claimed with SKIP LOCKED and marked with a conditional UPDATE, so two sweeps never warn twice."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Fulfilment.objects.select_for_update(skip_locked=True)
            .filter(state=Fulfilment.State.PENDING, warned_at__isnull=True, due_at__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        claimed = Fulfilment.objects.filter(pk__in=ids, warned_at__isnull=True).update(warned_at=now)
        if ids and claimed:
            for item in Fulfilment.objects.filter(pk__in=ids).select_related("remedy").order_by("pk"):
                _note(
                    item.remedy.ticket_id,
                    None,
                    _("%(remedy)s is overdue: it was due %(due)s.")
                    % {
                        "remedy": describe(item.remedy),
                        "due": timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
            queue_after_commit("remedies.tasks.send_overdue_warnings", ids)
    return ids if claimed else []
