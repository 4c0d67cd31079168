"""Live chat: a customer's conversation with an agent (its messages are the ticket's messages),
the agents' availability, and who may not chat."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Customer, Team, Ticket


def default_capacity() -> int:
    return int(settings.CHAT.get("DEFAULT_CAPACITY", 3))


class AgentPresence(models.Model):
    """Whether an agent takes chats now, and how many at once."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_presence",
        verbose_name=_("agent"),
    )
    status = models.CharField(_("availability"), max_length=8, choices=Status.choices, default=Status.OFFLINE)
    capacity = models.PositiveSmallIntegerField(_("chats at once"), default=default_capacity)
    # Open console connections; when the last one drops, `disconnected_at` starts the grace period.
    connections = models.PositiveSmallIntegerField(default=0, editable=False)
    disconnected_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_status_display()}"


class ChatBlock(models.Model):
    """A customer (or an address) refused a chat: abuse, floods."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    reason = models.CharField(_("why"), max_length=200)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("blocked chat customer")
        verbose_name_plural = _("blocked chat customers")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(ip__isnull=False), name="chat_block_names_someone"
            )
        ]

    def __str__(self) -> str:
        return str(self.customer or self.ip)


class Chat(models.Model):
    """One live conversation; its ticket holds every message (the first one is the ticket's description)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for an agent")
        OFFERED = "offered", _("Offered to an agent")
        ACTIVE = "active", _("With an agent")
        ENDED = "ended", _("Ended")
        # No agent of the team was online: the message was taken as a ticket.
        OFFLINE = "offline", _("Taken as a ticket")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    topic = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("topic")
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chats",
        verbose_name=_("ticket"),
    )
    # The client id of the message that opened the ticket (its description), so a resend is recognised.
    opening_client_id = models.CharField(max_length=64, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.WAITING)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chats",
        verbose_name=_("agent"),
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    # Agents who declined the chat or let the offer lapse: it is not offered to them again.
    passed_over = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    ip = models.GenericIPAddressField(null=True, blank=True)
    # The name typed in this chat's form: the widget shows it (never the matched record's name).
    given_name = models.CharField(_("name given"), max_length=200, blank=True, editable=False)
    # The contact typed matched a customer we already knew: not proof that this is them, so the
    # console marks it unverified and shows no details of that customer's other tickets.
    contact_claimed = models.BooleanField(_("contact not verified"), default=False, editable=False)
    # A first contact may see its ticket page; a claimed contact detail of a known customer may not.
    reveals_ticket = models.BooleanField(default=False, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # The rating counted in the desk's satisfaction figures: an answered feedback survey of kind "chat".
    survey = models.OneToOneField(
        "feedback.Survey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [models.Index(fields=["state", "team"], name="chat_state_team")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="chat_rating_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"chat {self.public_id}"

    @property
    def is_live(self) -> bool:
        return self.state in (self.State.WAITING, self.State.OFFERED, self.State.ACTIVE)

    def external_id(self, client_id: str, *, side: str = "c") -> str:
        """The message's idempotency key: unique per channel on Message (its constraint)."""
        return f"{self.public_id}:{side}:{client_id}"

    @property
    def message_prefix(self) -> str:
        return f"{self.public_id}:"
