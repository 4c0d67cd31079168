"""Figures the bench reports: one metric's repeated samples as median and 95th percentile."""

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0..1) of the samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Metric:
    """One line of the results table."""

    name: str
    unit: str  # "ms", "s", "/s"
    median: float
    p95: float | None = None
    p95_unit: str = ""  # when the p95 is of something else (a rate's latency: "ms"); else `unit`
    queries: int | None = None
    target: str = ""
    passed: bool | None = None
    runs: int = 1
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def timed_metric(
    name: str,
    samples_ms: list[float],
    *,
    limit_ms: float,
    queries: int | None = None,
    query_limit: int | None = None,
    note: str = "",
) -> Metric:
    """A latency metric from millisecond samples: passes when the median (and the query count) is in bounds."""
    median = statistics.median(samples_ms)
    target = f"median <= {limit_ms:g} ms"
    passed = median <= limit_ms
    if query_limit is not None:
        target += f", <= {query_limit} queries"
        passed = passed and queries is not None and queries <= query_limit
    return Metric(
        name=name,
        unit="ms",
        median=round(median, 2),
        p95=round(percentile(samples_ms, 0.95), 2),
        queries=queries,
        target=target,
        passed=passed,
        runs=len(samples_ms),
        note=note,
    )
