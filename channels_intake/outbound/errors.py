"""What a medium's backend raises when a delivery cannot go now (the queue records it)."""

from datetime import datetime

from ..models import OutboundMessage

Purpose = OutboundMessage.Purpose

# Purposes with an e-mail and SMS form: the others only exist on the customer's own channel.
HAS_EMAIL_FORM = {Purpose.ACKNOWLEDGEMENT, Purpose.REPLY, Purpose.RESOLUTION}


class DeliveryRefused(Exception):
    """A delivery that can never go as it stands: marked failed at once, not retried."""


class DeliveryWaits(Exception):
    """A WeChat delivery outside the customer's 48-hour window with no other way to them; `seen` is
    the customer's last message the decision was made on."""

    def __init__(self, message: str, *, seen: datetime | None) -> None:
        super().__init__(message)
        self.seen = seen
