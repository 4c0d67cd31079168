"""Surveys for customers reached on the channel they wrote on (WeChat, an app's or Weibo's callback).

The app that owns such a channel registers it in its ready(): `reaches(ticket)` says whether the
customer of this ticket can be reached there, `send(survey=..., url=..., text=..., reminder=...)`
hands the survey link over (raising OSError when it could not, so the survey is tried again later).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SurveyChannel:
    reaches: Callable[[Any], bool]
    send: Callable[..., None]


_channels: list[SurveyChannel] = []


def register_survey_channel(*, reaches: Callable[[Any], bool], send: Callable[..., None]) -> None:
    """Add a way to send survey links to customers on their own channel (in registration order)."""
    _channels.append(SurveyChannel(reaches=reaches, send=send))


def channel_for(ticket: Any) -> SurveyChannel | None:
    """The first registered channel that reaches this ticket's customer, or None."""
    return next((channel for channel in _channels if channel.reaches(ticket)), None)
