"""Surveys for customers reached on the channel they wrote on (WeChat, an app's or Weibo's callback):
the link goes as a delivery of the outbound stack (channels_intake.outbound), like the replies."""

from dataclasses import dataclass

from channels_intake import outbound
from complaints.models import Ticket

from .models import Survey


@dataclass(frozen=True)
class SurveyChannel:
    """The customer's own channel: `send` queues the survey link as an OutboundMessage."""

    def send(self, *, survey: Survey, url: str, text: str, reminder: bool) -> None:
        outbound.queue_survey(survey_id=survey.pk, ticket=survey.ticket, url=url, reminder=reminder)


OWN_CHANNEL = SurveyChannel()


def channel_for(ticket: Ticket) -> SurveyChannel | None:
    """The customer's own channel when it reaches them (WeChat that can send, a callback), else None."""
    return OWN_CHANNEL if outbound.reaches_on_own_channel(ticket) else None
