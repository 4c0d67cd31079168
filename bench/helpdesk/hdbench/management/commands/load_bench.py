"""Load the benchmark's data shape into django-helpdesk's tables, fast.

The rows are generated inside PostgreSQL (INSERT ... SELECT over generate_series, in
batches of 100,000 tickets with a commit after each), so a million tickets load in
minutes without a Python loop per row. The shape follows the project's seed_demo:

- 5 queues (our teams), each with escalate_days set so escalate_tickets has work;
- staff users agent1..agent20 (is_staff) plus a superuser ``benchadmin``;
- N tickets, created over the last 365 days; status 28 % open, 4 % reopened, 16 % resolved,
  52 % closed (32 % in an open status); priority 1-5; 10 % unassigned, else one of the
  agents; submitter e-mails from a pool of 200,000 customers; a due date by priority;
- per ticket two follow-ups (the submission, then an agent's reply or status change:
  our messages) and two ticket-change rows on the second (status/owner/priority: our events);
- ticket 1 gets 100 follow-ups in all (every fourth with a status change row): the
  ticket-page measure;
- last_escalation of open tickets models a cron that runs escalate_tickets hourly (see shape.py).

A row in ``hdbench_meta`` records a complete load of N tickets; a rerun with the same N does
nothing, another N (or --force) reloads.
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from helpdesk.models import Queue, UserSettings

from hdbench.shape import prepare_escalation

BATCH = 100_000
QUEUES = [
    # slug, title, escalate_days
    ("billing", "Billing and refunds", 3),
    ("delivery", "Delivery and logistics", 2),
    ("product", "Product quality", 5),
    ("service", "Customer service conduct", 3),
    ("accounts", "Accounts and privacy", 7),
]
AGENTS = 20
BIG_TICKET_ID = 1
BIG_TICKET_FOLLOWUPS = 100

META_SQL = "CREATE TABLE IF NOT EXISTS hdbench_meta (key text PRIMARY KEY, value text NOT NULL)"

TICKETS_SQL = """
INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status, on_hold,
    description, resolution, priority, due_date, last_escalation, assigned_to_id, queue_id,
    secret_key, kbitem_id, merged_to_id)
SELECT g,
       (ARRAY['Refund not received for order ', 'Parcel lost in transit, order ',
              'Charged twice for order ', 'Rude reply from support about order ',
              'Product broke after three days, order ', 'Cannot log in to my account, order '])
           [1 + (g %% 6)] || (100000 + g)::text,
       c.created,
       LEAST(c.created + (r.r3 * interval '10 days'), now()),
       'customer' || (g %% 200000)::text || '@example.com',
       s.status,
       false,
       'I placed order ' || (100000 + g)::text || ' and the problem is still not solved. '
           || 'Please look into it and tell me what happens next. Reference ' || md5(g::text) || '.',
       CASE WHEN s.status IN (3, 4) THEN 'Resolved as described in the last reply.' END,
       p.priority,
       c.created + (p.priority * interval '1 day'),
       NULL,  -- last_escalation: set by shape.prepare_escalation() after the load
       CASE WHEN r.r5 < 0.10 THEN NULL ELSE %(first_agent)s + (g %% %(agents)s) END,
       q.id,
       md5('secret' || g::text)::uuid::text,
       NULL, NULL
FROM generate_series(%(lo)s, %(hi)s) AS g
CROSS JOIN LATERAL (SELECT random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                           random() AS r5, random() AS r6, g AS gg) AS r
CROSS JOIN LATERAL (SELECT now() - r.r1 * interval '365 days' AS created, r.gg) AS c
CROSS JOIN LATERAL (SELECT CASE WHEN r.r2 < 0.28 THEN 1 WHEN r.r2 < 0.32 THEN 2
                                WHEN r.r2 < 0.48 THEN 3 ELSE 4 END AS status, r.gg) AS s
CROSS JOIN LATERAL (SELECT 1 + floor(r.r6 * 5)::int AS priority, r.gg) AS p
JOIN hdbench_queues AS q ON q.n = g %% 5

"""

FOLLOWUPS_SQL = """
INSERT INTO helpdesk_followup (id, date, title, comment, public, new_status, ticket_id, user_id,
    message_id, time_spent, email_recipients)
SELECT 2 * t.id - 1, t.created, 'Ticket Opened', t.description, true, NULL, t.id, NULL,
       NULL::varchar, NULL::interval, '[]'::jsonb
FROM helpdesk_ticket t WHERE t.id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT 2 * t.id, t.modified,
       CASE WHEN t.status = 1 THEN 'Comment' ELSE 'Updated' END,
       'Thank you for your patience. We have checked order ' || (100000 + t.id)::text
           || ' with the warehouse and will update you here.',
       true,
       CASE WHEN t.status = 1 THEN NULL ELSE t.status END,
       t.id, COALESCE(t.assigned_to_id, %(first_agent)s), NULL::varchar, NULL::interval, '[]'::jsonb
FROM helpdesk_ticket t WHERE t.id BETWEEN %(lo)s AND %(hi)s
"""

CHANGES_SQL = """
INSERT INTO helpdesk_ticketchange (id, field, old_value, new_value, followup_id)
SELECT 2 * t.id - 1,
       CASE WHEN t.status = 1 THEN 'Priority' ELSE 'Status' END,
       CASE WHEN t.status = 1 THEN '3' ELSE 'Open' END,
       CASE t.status WHEN 1 THEN t.priority::text WHEN 2 THEN 'Reopened'
                     WHEN 3 THEN 'Resolved' ELSE 'Closed' END,
       2 * t.id
FROM helpdesk_ticket t WHERE t.id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT 2 * t.id, 'Owner', 'Unassigned', COALESCE(u.username, 'Unassigned'), 2 * t.id
FROM helpdesk_ticket t LEFT JOIN auth_user u ON u.id = t.assigned_to_id
WHERE t.id BETWEEN %(lo)s AND %(hi)s
"""


class Command(BaseCommand):
    help = "Load N tickets (env BENCH_TICKETS / --tickets) into django-helpdesk's tables, once."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--force", action="store_true", help="reload even if a load is recorded")

    def handle(self, *args, **options):
        n = options["tickets"]
        with connection.cursor() as cursor:
            cursor.execute(META_SQL)
            cursor.execute("SELECT value FROM hdbench_meta WHERE key = 'loaded_tickets'")
            row = cursor.fetchone()
        if row and int(row[0]) == n and not options["force"]:
            self.stdout.write(f"bench_helpdesk already holds {n} tickets; nothing to load")
            return
        started = time.monotonic()
        self._reset()
        first_agent = self._users_and_queues()
        params = {"first_agent": first_agent, "agents": AGENTS}
        for lo in range(1, n + 1, BATCH):
            hi = min(lo + BATCH - 1, n)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(TICKETS_SQL, {**params, "lo": lo, "hi": hi})
                cursor.execute(FOLLOWUPS_SQL, {**params, "lo": lo, "hi": hi})
                cursor.execute(CHANGES_SQL, {**params, "lo": lo, "hi": hi})
            self.stdout.write(f"  tickets {hi:>9,} / {n:,}  {time.monotonic() - started:7.1f} s")
        self._big_ticket(n, first_agent)
        prepare_escalation()
        with connection.cursor() as cursor:
            for table in ("helpdesk_ticket", "helpdesk_followup", "helpdesk_ticketchange"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )
            cursor.execute("ANALYZE")
        seconds = time.monotonic() - started
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO hdbench_meta (key, value) VALUES ('loaded_tickets', %s), ('load_seconds', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [str(n), f"{seconds:.1f}"],
            )
        self.stdout.write(f"loaded {n:,} tickets in {seconds:.1f} s")

    def _reset(self):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM hdbench_meta")
            cursor.execute(
                "TRUNCATE helpdesk_ticketchange, helpdesk_followupattachment, helpdesk_followup, "
                "helpdesk_ticketcc, helpdesk_ticketcustomfieldvalue, helpdesk_ticketdependency, "
                "helpdesk_checklisttask, helpdesk_checklist, helpdesk_ticket CASCADE"
            )

    def _users_and_queues(self) -> int:
        user_model = get_user_model()
        admin, _ = user_model.objects.get_or_create(
            username="benchadmin",
            defaults={"is_staff": True, "is_superuser": True, "email": "benchadmin@example.com"},
        )
        agents = []
        for number in range(1, AGENTS + 1):
            agent, _ = user_model.objects.get_or_create(
                username=f"agent{number}",
                defaults={"is_staff": True, "email": f"agent{number}@example.com", "first_name": "Agent"},
            )
            agents.append(agent)
        ids = [a.id for a in agents]
        # The SQL spreads tickets over first_agent + (g % 20): the agents must have consecutive ids.
        if ids != list(range(ids[0], ids[0] + AGENTS)):
            raise RuntimeError("agent ids are not consecutive; drop database bench_helpdesk and rerun")
        for user in [admin, *agents]:
            UserSettings.objects.get_or_create(user=user)
        for slug, title, days in QUEUES:
            Queue.objects.update_or_create(
                slug=slug,
                defaults={
                    "title": title,
                    "escalate_days": days,
                    "allow_public_submission": True,
                    "email_address": f"{slug}@example.com",
                },
            )
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS hdbench_queues")
            cursor.execute(
                "CREATE TABLE hdbench_queues AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, "
                "id, escalate_days AS days FROM helpdesk_queue WHERE slug = ANY(%s)",
                [[q[0] for q in QUEUES]],
            )
        return ids[0]

    def _big_ticket(self, n: int, first_agent: int) -> None:
        """Give ticket 1 a long history: 100 follow-ups, every fourth with a status change."""
        if n < BIG_TICKET_ID:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO helpdesk_followup (id, date, title, comment, public, new_status, ticket_id,
                    user_id, message_id, time_spent, email_recipients)
                SELECT 2 * %(n)s + k, t.created + k * interval '1 hour',
                       CASE WHEN k %% 4 = 0 THEN 'Updated' ELSE 'Comment' END,
                       'Follow-up number ' || k::text || ': we are still working on order '
                           || (100000 + t.id)::text || '. A longer paragraph of text so the page '
                           || 'renders a realistic amount of markdown for every entry.',
                       k %% 3 <> 0,
                       CASE WHEN k %% 4 = 0 THEN CASE WHEN k %% 8 = 0 THEN 2 ELSE 1 END END,
                       t.id,
                       CASE WHEN k %% 2 = 0 THEN %(first_agent)s + (k %% 20) END,
                       NULL::varchar, NULL::interval, '[]'::jsonb
                FROM helpdesk_ticket t, generate_series(1, %(extra)s) AS k
                WHERE t.id = %(ticket)s
                """,
                {
                    "n": n,
                    "first_agent": first_agent,
                    "extra": BIG_TICKET_FOLLOWUPS - 2,
                    "ticket": BIG_TICKET_ID,
                },
            )
            cursor.execute(
                """
                INSERT INTO helpdesk_ticketchange (id, field, old_value, new_value, followup_id)
                SELECT f.id, 'Status', 'Open', 'Reopened', f.id
                FROM helpdesk_followup f WHERE f.ticket_id = %(ticket)s AND f.id > 2 * %(n)s
                  AND f.new_status IS NOT NULL
                """,
                {"n": n, "ticket": BIG_TICKET_ID},
            )
            cursor.execute("UPDATE helpdesk_ticket SET status = 1 WHERE id = %s", [BIG_TICKET_ID])
