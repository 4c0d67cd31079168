"""The results table: printed, and written as bench/results/latest.json and latest.md.

Also the ratios against django-helpdesk when bench/helpdesk/run left bench/results/helpdesk.json.
"""

import json
import re
from typing import Any

from .config import RESULTS_DIR

# Ours (a metric name prefix) against django-helpdesk's (a key of its metrics, see bench/helpdesk/).
COMPARISONS = [
    ("Ticket list, sorted by due time", "Queue page: team queue", "ticket_list_due"),
    ("Ticket list", "Queue page: team queue", "ticket_list"),
    ("Ticket page", "Ticket page", "ticket_page"),
    ("Public submission (in-process)", "Public submission", "public_submit"),
]


def _cell(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:g} {unit}".strip()


def rows(metrics: list[dict[str, Any]]) -> list[list[str]]:
    table = [["metric", "median", "p95", "runs", "queries", "target", "result"]]
    for m in metrics:
        table.append(
            [
                m["name"],
                _cell(m["median"], m["unit"]),
                _cell(m.get("p95"), m.get("p95_unit") or m["unit"]),
                str(m.get("runs", "")),
                "–" if m.get("queries") is None else str(m["queries"]),
                m.get("target", ""),
                {True: "pass", False: "MISS", None: ""}[m.get("passed")],
            ]
        )
    return table


def _text_table(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown_table(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines)


def _ratio(theirs: float | None, ours: float | None) -> str:
    return f"{theirs / ours:.2f}x" if theirs and ours else "–"


def comparisons(metrics: list[dict[str, Any]], helpdesk: dict[str, Any] | None) -> list[list[str]]:
    """Ours vs django-helpdesk: median times and their ratio (theirs / ours; above 1 we are faster)."""
    theirs_all = (helpdesk or {}).get("metrics") or {}
    if not isinstance(theirs_all, dict) or not theirs_all:
        return []
    table = [["measurement", "ours (median)", "django-helpdesk (median)", "theirs / ours"]]
    for label, ours_prefix, key in COMPARISONS:
        ours = next((m for m in metrics if m["name"].startswith(ours_prefix)), None)
        theirs = theirs_all.get(key)
        if ours is None or not isinstance(theirs, dict):
            continue
        theirs_ms = theirs.get("median_ms")
        ours_text = f"{_cell(ours['median'], ours['unit'])}, {ours.get('queries')} q"
        theirs_text = f"{_cell(theirs_ms, 'ms')}, {theirs.get('queries')} q"
        table.append([label, ours_text, theirs_text, _ratio(theirs_ms, ours["median"])])
    load = theirs_all.get("public_submit_load")
    ours_load = next((m for m in metrics if m["name"].startswith("Create via web form")), None)
    if isinstance(load, dict) and ours_load is not None:
        theirs_rate = load.get("created_per_s")
        table.append(
            [
                "Public submission under load (ours / theirs)",
                f"{ours_load['median']:g} tickets/s, p95 {ours_load.get('p95')} ms",
                f"{theirs_rate} tickets/s, p95 {load.get('p95_ms')} ms",
                _ratio(ours_load["median"], theirs_rate),
            ]
        )
    escalation = theirs_all.get("escalation")
    sweep = next(
        (m for m in metrics if m["name"].startswith("SLA sweep") and "clocks due" in m["name"]), None
    )
    if isinstance(escalation, dict) and sweep is not None and sweep["unit"] == "s":
        ours_per = sweep["extra"].get("ms_per_clock")
        theirs_per = escalation.get("ms_per_escalated")
        table.append(
            [
                "Escalation run (per item escalated)",
                f"{sweep['median']:g} s for {sweep['extra'].get('clocks')} clocks, {ours_per} ms each",
                f"{escalation.get('seconds')} s for {escalation.get('escalated')} tickets, {theirs_per} ms each",
                _ratio(theirs_per, ours_per),
            ]
        )
    nothing_due = next((m for m in metrics if m["name"] == "SLA sweep, nothing due"), None)
    if isinstance(escalation, dict) and nothing_due is not None and escalation.get("idle_ms") is not None:
        table.append(
            [
                "Escalation run, nothing due",
                _cell(nothing_due["median"], "ms"),
                _cell(escalation["idle_ms"], "ms"),
                _ratio(escalation["idle_ms"], nothing_due["median"]),
            ]
        )
    return table if len(table) > 1 else []


def _what(sql: str) -> str:
    """A short name for a query: its first table and whether it counts, aggregates or locks."""
    table = re.search(r'FROM "(\w+)"(?! "U\d)', sql)  # subqueries are aliased U0, U1, ...
    kind = "count" if "COUNT(" in sql[:200] else "select"
    lock = " FOR UPDATE" if "FOR UPDATE" in sql else ""
    return f"{kind} {table.group(1) if table else '?'}{lock}"


def plan_summary(plans: dict[str, list[dict[str, Any]]], top: int = 3) -> list[str]:
    """Per hot path, its slowest queries under EXPLAIN ANALYZE: time, rows, indexes, sequential scans."""
    lines = ["| path | query | execution | rows | indexes used | seq scans |", "|---|---|---|---|---|---|"]
    for path, queries in plans.items():
        ranked = sorted(queries, key=lambda q: q.get("execution_ms") or 0, reverse=True)[:top]
        for query in ranked:
            lines.append(
                f"| {path} | {_what(query['sql'])} | {query.get('execution_ms')} ms | {query.get('rows')} | "
                f"{', '.join(query.get('indexes') or []) or '–'} | {', '.join(query.get('seq_scans') or []) or '–'} |"
            )
    return lines


def write(results: dict[str, Any]) -> str:
    """Write latest.json and latest.md; return the text to print."""
    metrics = results["metrics"]
    helpdesk = results.get("helpdesk")
    table = rows(metrics)
    versus = comparisons(metrics, helpdesk)
    results["comparison"] = versus
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    header = (
        f"{results['tickets']:,} tickets in {results['database']}; loaded in {results['load_seconds']:.0f} s "
        f"({results['load_note']}); {results['machine']}"
    )
    notes = [f"- {m['name']}: {m['note']}" for m in metrics if m.get("note")]
    markdown = [f"# Bench results {results['finished_at']}", "", header, "", _markdown_table(table), ""]
    text = [header, "", _text_table(table), ""]
    if versus:
        markdown += ["## Against django-helpdesk", "", _markdown_table(versus), ""]
        text += ["Against django-helpdesk (ratio > 1: we are faster)", _text_table(versus), ""]
    markdown += ["## Notes", "", *notes, ""]
    markdown += [
        "## Slowest queries per path (EXPLAIN ANALYZE, BUFFERS)",
        "",
        *plan_summary(results["plans"]),
        "",
    ]
    text += notes
    (RESULTS_DIR / "latest.md").write_text("\n".join(markdown))
    return "\n".join(text)
