"""EXPLAIN (ANALYZE, BUFFERS) of the queries a hot path ran, summarised: time, indexes, scans.

The SQL is what Django actually sent (captured with CaptureQueriesContext, parameters bound
client-side by psycopg), so the plans are those of the real queries. Each EXPLAIN runs in a
transaction that is rolled back: a SELECT ... FOR UPDATE under EXPLAIN ANALYZE takes its locks.
"""

import re
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

INDEX_RE = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)")
SEQ_RE = re.compile(r"Seq Scan on (\w+)")
TIME_RE = re.compile(r"Execution Time: ([\d.]+) ms")
ROWS_RE = re.compile(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)")


def explain_sql(sql: str) -> dict[str, Any]:
    """The plan of one statement with its execution time, indexes used and sequential scans."""
    # ANALYZE runs the statement: whatever it would write is rolled back.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    time_match = TIME_RE.search(plan)
    rows_match = ROWS_RE.search(plan)
    return {
        "sql": sql,
        "execution_ms": float(time_match.group(1)) if time_match else None,
        "rows": int(rows_match.group(1)) if rows_match else None,
        "indexes": sorted(set(INDEX_RE.findall(plan))),
        "seq_scans": sorted(set(SEQ_RE.findall(plan))),
        "plan": plan,
    }


def explain_captured(captured: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Plans of every SELECT among captured queries (savepoints, sessions' writes left out)."""
    plans = []
    for query in captured:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            plans.append(explain_sql(sql))
    return plans


def explain_queryset(queryset: QuerySet) -> dict[str, Any]:
    """The plan of a queryset's SQL as Django would send it."""
    with transaction.atomic():  # SELECT ... FOR UPDATE compiles only inside one
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        with connection.cursor() as cursor:
            bound = cursor.mogrify(sql, params)
    return explain_sql(bound if isinstance(bound, str) else bound.decode())
