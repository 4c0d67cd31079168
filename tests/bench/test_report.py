"""The bench's arithmetic and its table: percentiles, pass/fail, and the ratios against django-helpdesk."""

from bench import report
from bench.stats import percentile, timed_metric


def test_percentile_is_nearest_rank():
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50
    assert percentile(samples, 0.95) == 95
    assert percentile([7.0], 0.95) == 7


def test_a_metric_misses_when_its_queries_exceed_the_limit_even_if_fast():
    fast_but_chatty = timed_metric("queue", [10.0, 12.0, 11.0], limit_ms=30, queries=15, query_limit=10)
    assert fast_but_chatty.median == 11
    assert fast_but_chatty.passed is False
    assert timed_metric("queue", [10.0, 12.0, 11.0], limit_ms=30, queries=9, query_limit=10).passed is True
    assert timed_metric("queue", [40.0, 41.0], limit_ms=30, queries=3, query_limit=10).passed is False


def test_comparison_puts_theirs_over_ours_for_times_and_ours_over_theirs_for_rates():
    ours = [
        timed_metric("Queue page: team queue, SLA due (agent)", [20.0], limit_ms=30, queries=9).as_dict(),
        {"name": "Create via web form (POST /submit/)", "unit": "/s", "median": 200.0, "p95": 80.0},
    ]
    helpdesk = {
        "metrics": {
            "ticket_list": {"median_ms": 100.0, "queries": 78},
            "public_submit_load": {"created_per_s": 50.0, "p95_ms": 300.0},
        }
    }
    table = report.comparisons(ours, helpdesk)
    by_label = {row[0]: row for row in table[1:]}
    assert by_label["Ticket list"][3] == "5.00x"
    assert by_label["Public submission under load (ours / theirs)"][3] == "4.00x"


def test_no_comparison_without_helpdesk_figures():
    assert report.comparisons([], None) == []
    assert report.comparisons([], {"metrics": {}}) == []


def test_the_table_marks_misses():
    rows = report.rows([timed_metric("page", [50.0], limit_ms=40).as_dict()])
    assert rows[1][0] == "page"
    assert rows[1][-1] == "MISS"
