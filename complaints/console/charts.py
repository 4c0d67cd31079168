"""Chart geometry for inline SVG drawn on the server (templates/admin/includes/*_chart.html).

No script and no outside library: the templates draw what these functions measure, and every
chart carries a title and description; the numbers are also shown in a table next to it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 150
PLOT_WIDTH = 240
VALUE_WIDTH = 50


@dataclass
class Bar:
    label: str
    value: float
    y: int
    width: float
    href: str = ""
    display: str = ""


@dataclass
class BarChart:
    """Horizontal bars, one per row, scaled to the largest value."""

    chart_id: str
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)
    label_width: int = LABEL_WIDTH
    plot_width: int = PLOT_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def width(self) -> int:
        return self.label_width + self.plot_width + VALUE_WIDTH

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP

    @property
    def value_x(self) -> int:
        return self.label_width + 4


def bar_chart(
    *, chart_id: str, title: str, description: str, rows: Sequence[tuple[str, float, str]]
) -> BarChart:
    """`rows` are (label, value, href or ""); a value of 0 draws no bar but keeps its line."""
    top = max((value for _label, value, _href in rows), default=0) or 1
    chart = BarChart(chart_id=chart_id, title=title, description=description)
    for index, (label, value, href) in enumerate(rows):
        chart.bars.append(
            Bar(
                label=label,
                value=value,
                y=BAR_GAP + index * (BAR_HEIGHT + BAR_GAP),
                width=round(PLOT_WIDTH * value / top, 1),
                href=href,
                display=_display(value),
            )
        )
    return chart


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
