import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Word search in the desk runs `UPPER(column) LIKE UPPER('%term%')` (Django's icontains);
# on PostgreSQL these trigram indexes answer it without a full scan. SQLite has no GIN, so
# there the same query simply scans.
TRIGRAM_INDEXES = [
    ("ticket_subject_trgm", "subject"),
    ("ticket_description_trgm", "description"),
]


def add_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON complaints_ticket USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_integrations_group"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PiiAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("fields", models.CharField(max_length=100, verbose_name="fields shown")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="when")),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pii_accesses",
                        to="complaints.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="complaints.ticket",
                        verbose_name="ticket",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "personal data access",
                "verbose_name_plural": "personal data accesses",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
