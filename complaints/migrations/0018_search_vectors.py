from django.db import migrations

# Full-text search over Chinese character bigrams (complaints/search.py says how it works).
# The indexes are on expressions, so building them is the backfill: one pass over each table
# inside PostgreSQL, no row rewritten (the time at 10^6 tickets is in bench/README.md); from then
# on PostgreSQL keeps them on every write, bulk inserts included. The message body's trigram
# index (0013) served only this search and goes. SQLite has neither: the desk searches
# substrings there.
HAN = r"\u3400-\u9fff\uf900-\ufaff"

# Three regular-expression passes, no per-character loop in SQL (~40 µs a message): double every
# Han character, drop the first of each run (leaving a space before it), cut the run into pairs:
# 宽带网速 -> 宽宽带带网网速速 -> 宽带带网网速速 -> "宽带 带网 网速 速".
CREATE_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION complaints_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(
           regexp_replace(
             regexp_replace(t, '([{HAN}])', '\\1\\1', 'g'),
             '(^|[^{HAN}])[{HAN}]', '\\1 ', 'g'),
           '([{HAN}]{{1,2}})', '\\1 ', 'g')
$$;
CREATE OR REPLACE FUNCTION complaints_search_vector(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig, complaints_search_text(t))
$$;
"""
DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS complaints_search_vector(text);
DROP FUNCTION IF EXISTS complaints_search_text(text);
"""
# complaints.search.SearchVector writes the same expressions in its queries.
INDEXES = [
    (
        "ticket_search_vector",
        "complaints_ticket",
        "complaints_search_vector((subject::text || ' ' || description))",
    ),
    ("message_search_vector", "complaints_message", "complaints_search_vector((body))"),
]


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTIONS)
    # A GIN build sorts in maintenance_work_mem; the default 64 MB would spill to disk.
    schema_editor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")
    schema_editor.execute("DROP INDEX IF EXISTS message_body_trgm")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS message_body_trgm ON complaints_message USING gin (UPPER("body"::text) gin_trgm_ops)'
    )
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(DROP_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0017_resolution_remedy_types")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
