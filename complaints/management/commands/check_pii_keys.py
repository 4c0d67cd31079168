"""List every encrypted value that is not under the newest FIELD_ENCRYPTION_KEYS key.

Run it after `rotate_pii_keys` and before dropping an old key: it exits with an error (status 1)
while any column still holds a value under an old key, or one no configured key can open.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import TextField
from django.db.models.functions import Cast

from complaints import pii


class Command(BaseCommand):
    help = "List encrypted columns with values still under an old key (or under none); status 1 if any."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows read per query")

    def handle(self, *args, **options) -> None:
        batch_size: int = options["batch_size"]
        stale = 0
        for model, names in pii.encrypted_columns():
            for name in names:
                old, unreadable, examples = self._count(model, name, batch_size)
                if old or unreadable:
                    stale += old + unreadable
                    self.stdout.write(
                        f"{model._meta.label}.{name}: {old} under an old key, {unreadable} under no "
                        f"configured key (e.g. #{', #'.join(str(pk) for pk in examples)})"
                    )
        if stale:
            raise CommandError(
                f"{stale} encrypted values are not under the newest key: run rotate_pii_keys before "
                "dropping any key (a value under no key needs its old key back in FIELD_ENCRYPTION_KEYS)."
            )
        self.stdout.write(self.style.SUCCESS("Every encrypted value is under the newest key."))

    def _count(self, model, name: str, batch_size: int) -> tuple[int, int, list[int]]:
        old = unreadable = 0
        examples: list[int] = []
        last_pk = 0
        rows = model._base_manager.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True}).order_by("pk")
        while True:
            batch = list(
                rows.filter(pk__gt=last_pk)
                .annotate(pii_stored_token=Cast(name, output_field=TextField()))
                .values_list("pk", "pii_stored_token")[:batch_size]
            )
            if not batch:
                return old, unreadable, examples
            for pk, token in batch:
                position = pii.key_position(token)
                if position == 0:
                    continue
                if position is None:
                    unreadable += 1
                else:
                    old += 1
                if len(examples) < 5:
                    examples.append(pk)
            last_pk = batch[-1][0]
