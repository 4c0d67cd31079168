"""One figure now and in the previous period, and whether its change is good or bad news.

Shared by the reports page and the dashboard's tiles: a rise in complaints is coloured as bad and a
fall as good, a rise in targets met or satisfaction the other way round; counts without a better
direction (resolutions recorded) stay uncoloured.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

Number = int | float | Decimal | None

UP_IS_GOOD = "up"
DOWN_IS_GOOD = "down"
NEUTRAL = ""


@dataclass
class Change:
    """One figure now and in the previous period, with the absolute and relative change."""

    current: Number
    previous: Number
    kind: str = "count"  # count, percent (a rate in %), money, number
    # Which way is good news: more complaints are bad, more targets met are good.
    better: str = NEUTRAL

    @property
    def delta(self) -> Number:
        if self.current is None or self.previous is None:
            return None
        delta = self.current - self.previous
        return round(delta, 2) if isinstance(delta, float) else delta

    @property
    def percent(self) -> float | None:
        """The change relative to the previous figure, in %; None when there was nothing before."""
        if self.delta is None or not self.previous:
            return None
        return round(100 * float(self.delta) / float(self.previous), 1)

    @property
    def direction(self) -> str:
        if self.delta is None:
            return ""
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"

    @property
    def tone(self) -> str:
        """good / bad for a change worth a colour; "" when neutral, unchanged or unknown."""
        if self.better == NEUTRAL or self.direction not in ("up", "down"):
            return ""
        return "good" if self.direction == self.better else "bad"

    def show(self, value: Number) -> str:
        if value is None:
            return "–"
        if self.kind == "percent":
            return f"{number_format(value, 1)}%"
        if self.kind == "money":
            return number_format(value, 2, force_grouping=True)
        if self.kind == "number":
            return number_format(value, 2)
        return number_format(value, force_grouping=True)

    @property
    def current_display(self) -> str:
        return self.show(self.current)

    @property
    def previous_display(self) -> str:
        return self.show(self.previous)

    @property
    def delta_display(self) -> str:
        if self.delta is None:
            return "–"
        sign = "+" if self.delta > 0 else ""
        if self.kind == "percent":
            return _("%(change)s pts") % {"change": sign + number_format(self.delta, 1)}
        return sign + self.show(self.delta)

    @property
    def percent_display(self) -> str:
        if self.percent is None:
            return "–"
        return ("+" if self.percent > 0 else "") + number_format(self.percent, 1) + "%"
