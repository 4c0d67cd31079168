"""Chart geometry for inline SVG drawn on the server (templates/admin/includes/line_chart.html).

No script and no outside library: the template draws what this module measures, and the chart
carries a title and description. Counts by channel, status or age are table rows with a bar in
the row (dashboard.with_bars), so each figure is written once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LINE_WIDTH = 440
LINE_HEIGHT = 120
LINE_PAD = 24


@dataclass
class LineChart:
    """A small line over days: one point per day, zero days included."""

    chart_id: str
    title: str
    description: str
    points: str
    dots: list[dict[str, Any]]
    top: float
    first_label: str
    last_label: str
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    pad: int = LINE_PAD

    @property
    def baseline(self) -> int:
        return self.height - self.pad

    @property
    def right(self) -> int:
        return self.width - self.pad


def line_chart(
    *, chart_id: str, title: str, description: str, series: Sequence[tuple[str, float]]
) -> LineChart:
    """`series` is (label, value) oldest first; one point draws a single dot."""
    top = max((value for _label, value in series), default=0) or 1
    span = max(len(series) - 1, 1)
    inner_width = LINE_WIDTH - 2 * LINE_PAD
    inner_height = LINE_HEIGHT - 2 * LINE_PAD
    dots = []
    for index, (label, value) in enumerate(series):
        x = LINE_PAD + (inner_width * index / span if len(series) > 1 else inner_width / 2)
        y = LINE_PAD + inner_height * (1 - value / top)
        dots.append({"x": round(x, 1), "y": round(y, 1), "label": label, "value": _display(value)})
    return LineChart(
        chart_id=chart_id,
        title=title,
        description=description,
        points=" ".join(f"{dot['x']},{dot['y']}" for dot in dots),
        dots=dots,
        top=_display(top) if series else 0,
        first_label=series[0][0] if series else "",
        last_label=series[-1][0] if series else "",
    )


def _display(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
