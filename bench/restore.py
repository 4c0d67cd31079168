"""Put the bench database back the way a measurement found it, so reruns measure the same data.

Two tools: watermarks (the highest id of every table; rows above it are removed afterwards) and
row snapshots (copies of rows a measurement changes, written back afterwards). Plain SQL, so a
million-ticket database is restored in seconds. Table and column names in the SQL come from
information_schema or this module, never from input, and are quoted (hence the S608 waivers).
"""

from django.db import DatabaseError, connection, transaction

SNAPSHOT_PREFIX = "bench_snapshot_"


def _tables_with_id() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'id' AND table_name NOT LIKE %s "
            "ORDER BY table_name",
            [SNAPSHOT_PREFIX + "%"],
        )
        return [row[0] for row in cursor.fetchall()]


def _refuse_other_writers() -> None:
    """Rows above a watermark are deleted later: nobody else may be writing to this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, left(query, 80) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') "
            "AND backend_type = 'client backend'"
        )
        busy = cursor.fetchall()
    if busy:
        raise RuntimeError(f"another session is writing to the bench database (still loading?): {busy}")


def watermarks() -> dict[str, int]:
    """The highest id of every table that has one (0 for an empty table).

    Refused while another session is in a transaction on the database: what it inserts in the
    meantime would be taken for the bench's rows and removed.
    """
    _refuse_other_writers()
    marks = {}
    with connection.cursor() as cursor:
        for table in _tables_with_id():
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
            marks[table] = cursor.fetchone()[0]
    return marks


def remove_rows_above(marks: dict[str, int]) -> dict[str, int]:
    """Delete every row added since `marks`; tables are retried until foreign keys let each go."""
    pending = dict(marks)
    removed: dict[str, int] = {}
    while pending:
        progress = False
        for table, mark in list(pending.items()):
            try:
                # Foreign keys are checked at commit (deferred), so a refused delete fails there.
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f'DELETE FROM "{table}" WHERE id > %s', [mark])  # noqa: S608
                    count = cursor.rowcount
            except DatabaseError:
                continue  # still referenced by rows of a table not yet cleared: next pass
            if count:
                removed[table] = count
            del pending[table]
            progress = True
        if not progress:
            raise RuntimeError(f"could not remove the bench's rows from: {', '.join(pending)}")
    return removed


def snapshot(table: str, where: str, params: list | None = None) -> str:
    """Copy the rows of `table` matching `where` aside; returns the snapshot's name."""
    name = SNAPSHOT_PREFIX + table
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        cursor.execute(
            f'CREATE TABLE "{name}" AS SELECT * FROM "{table}" WHERE {where}',  # noqa: S608
            params or [],
        )
    return name


def restore_snapshot(table: str) -> int:
    """Write the snapshot of `table` back over its rows (every column), then drop the snapshot."""
    name = SNAPSHOT_PREFIX + table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s AND column_name <> 'id'",
            [name],
        )
        columns = [row[0] for row in cursor.fetchall()]
        assignments = ", ".join(f'"{column}" = s."{column}"' for column in columns)
        update = f'UPDATE "{table}" t SET {assignments} FROM "{name}" s WHERE t.id = s.id'  # noqa: S608
        cursor.execute(update)
        restored = cursor.rowcount
        cursor.execute(f'DROP TABLE "{name}"')
    return restored
