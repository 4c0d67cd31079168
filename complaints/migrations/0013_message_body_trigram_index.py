from django.db import migrations

# The desk's search looks for words in messages too (`UPPER(body) LIKE UPPER('%word%')`, Django's
# icontains); on PostgreSQL this trigram index answers it without reading every message. SQLite
# has no GIN: there the same query scans.
INDEX = "message_body_trgm"


def add_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON complaints_message USING gin (UPPER("body"::text) gin_trgm_ops)'
    )


def drop_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0012_team_assignment_strategy_and_event_reason_codes")]

    operations = [migrations.RunPython(add_index, drop_index, elidable=False)]
