"""In-process measurements against the bench database: `python -m bench.measure <phase>`.

Phases: `fixtures` (make the extra shapes, write the API token), `pages` (queue, API list,
ticket page, public form), `jobs` (SLA sweep, e-mail intake) and `surveys` (needs EMAIL_URL
pointing at an SMTP sink); each writes bench/results/<phase>.json: its metrics and its queries'
plans. `mark` and `restore` bracket the load test, removing the rows it added.
bench.main runs them with the environment of bench.config.django_env.
"""

import json
import os
import sys

import django

from .config import RESULTS_DIR


def _write(phase: str, payload: dict) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{phase}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def main(phase: str) -> None:
    django.setup()
    from django.utils import translation

    from complaints.models import Ticket

    from . import fixtures, jobs, pages, restore

    translation.activate("en")
    runs = int(os.environ.get("BENCH_RUNS", "50"))
    tickets = Ticket.objects.count()
    plans: dict[str, list[dict]] = {}
    if phase == "mark":  # before the load test, whose tickets "restore" removes afterwards
        _write(phase, {"watermarks": restore.watermarks()})
        return
    if phase == "restore":
        marks = json.loads((RESULTS_DIR / "mark.json").read_text())["watermarks"]
        removed = restore.remove_rows_above(marks)
        print(f"  removed the load test's rows: {removed}")
        return
    if phase == "fixtures":
        agent = fixtures.agent()
        ticket = fixtures.timeline_ticket(agent)
        _write(
            phase,
            {
                "token": fixtures.integration_token(),
                "timeline_ticket": ticket.reference,
                "tickets": tickets,
            },
        )
        return
    if phase == "pages":
        agent, supervisor = fixtures.agent(), fixtures.supervisor()
        timeline = fixtures.timeline_ticket(agent)
        api = {"Accept": "application/json"}
        measured = [
            pages.Page(
                "Queue page: team queue, SLA due (agent)", agent, "/desk/?queue=team&sort=sla", 30, 10
            ),
            pages.Page(
                "Queue page: all tickets, SLA due (supervisor)",
                supervisor,
                "/desk/?queue=all&sort=sla",
                30,
                10,
                informational=True,
            ),
            pages.Page("API list (agent)", agent, "/api/v1/tickets/", 30, 10, headers=api),
            pages.Page(
                "API list (supervisor)",
                supervisor,
                "/api/v1/tickets/",
                30,
                10,
                headers=api,
                informational=True,
            ),
            pages.Page(
                "Ticket page, 100 timeline entries",
                agent,
                f"/desk/tickets/{timeline.reference}/",
                40,
                None,
                note=f"{timeline.reference}",
            ),
        ]
        measured += pages.search_pages(agent, supervisor)
        marks = restore.watermarks()
        metrics = pages.measure_pages(measured, runs, plans)
        metrics.append(pages.measure_queue_recount(agent, min(runs, 20)))
        metrics.append(pages.measure_submission(runs, plans))
        restore.remove_rows_above(marks)
    elif phase == "jobs":
        due = max(1, tickets // 100)
        metrics = [
            jobs.sweep_nothing_due(runs, plans),
            jobs.sweep_due(due, int(os.environ.get("BENCH_SWEEP_RUNS", "3")), plans),
            jobs.email_intake(int(os.environ.get("BENCH_EMAILS", "1000"))),
        ]
    elif phase == "surveys":
        metrics = [jobs.send_surveys(int(os.environ.get("BENCH_SURVEYS", "10000")), plans)]
    else:
        raise SystemExit(f"unknown phase {phase!r}: fixtures, pages, jobs or surveys")
    _write(phase, {"tickets": tickets, "metrics": [m.as_dict() for m in metrics], "plans": plans})
    for metric in metrics:
        print(f"  {metric.name}: {metric.median} {metric.unit} (p95 {metric.p95}, queries {metric.queries})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
