from django.db import migrations

# complaints_search_vector in PL/pgSQL with its true cost. As an SQL function it was inlined, and
# the planner, pricing three regular expressions at almost nothing, chose to recompute the vector
# of every ticket an agent may see in a window of ids (seconds at 10^6 tickets) instead of asking
# the index. Same result as before, so the indexes of 0018 stay valid (the call is what they index).
FUNCTION = """
CREATE OR REPLACE FUNCTION complaints_search_vector(t text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 200 AS $$
BEGIN
  RETURN to_tsvector('simple'::regconfig, complaints_search_text(t));
END
$$;
"""
PREVIOUS = """
CREATE OR REPLACE FUNCTION complaints_search_vector(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig, complaints_search_text(t))
$$;
"""


def replace(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def restore(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0019_staff_mail_outbox")]

    operations = [migrations.RunPython(replace, restore, elidable=False)]
