"""Steady-state setup for django-helpdesk's escalate_tickets, shared by the loader and the measure.

escalate_tickets escalates an open ticket (priority above 1, not on hold) when its last escalation,
or its creation if never escalated, is older than its queue's escalate_days (less exclusion days).
We model a cron that runs it hourly: every eligible ticket older than escalate_days was last
escalated at a point spread evenly over the last escalate_days + 1 hour, so one hour's worth,
1 / (24 * escalate_days + 1) of them, is due. The spread is a hash of the ticket id, not random(),
so every rerun (and every later day) has the same share due.
"""

from django.db import connection

PREPARE_ESCALATION_SQL = """
UPDATE helpdesk_ticket AS t
SET last_escalation = CASE
        WHEN t.created <= now() - q.days * interval '1 day'
        THEN GREATEST(t.created,
                      now() - ((t.id::bigint * 2654435761) % 1000003) / 1000003.0
                              * (q.days * interval '1 day' + interval '1 hour'))
    END
FROM hdbench_queues AS q
WHERE t.queue_id = q.id AND t.status IN (1, 2) AND t.priority > 1
"""

DUE_COUNT_SQL = """
SELECT count(*)
FROM helpdesk_ticket AS t JOIN helpdesk_queue AS q ON q.id = t.queue_id
WHERE q.escalate_days > 0 AND t.status IN (1, 2) AND t.priority <> 1 AND NOT t.on_hold
  AND COALESCE(t.last_escalation, t.created) <= now() - q.escalate_days * interval '1 day'
"""


def prepare_escalation() -> int:
    """Reset last_escalation to the steady state and return how many tickets are due now."""
    with connection.cursor() as cursor:
        cursor.execute(PREPARE_ESCALATION_SQL)
        cursor.execute(DUE_COUNT_SQL)
        return cursor.fetchone()[0]
