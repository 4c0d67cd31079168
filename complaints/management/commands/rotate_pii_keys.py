"""Re-encrypt every encrypted column under the newest FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS ("new,old"), deploy, run this command,
check with `check_pii_keys` (or `rotate_pii_keys --check`) that nothing is left under the old key,
then drop it. The columns are found by their field class (pii.EncryptedTextField) in every model:
customers, channel secrets and tokens, mailbox passwords, raw inbound items, delivery recipients and
whatever is added later. With --reindex it also recomputes the customers' blind indexes, which is
needed after BLIND_INDEX_KEY changed (lookups by e-mail or phone find nothing until then).
"""

from cryptography.fernet import InvalidToken
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from complaints import pii
from complaints.models import Customer

INDEXED_FIELDS = {"email": "email_index", "phone": "phone_index"}


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the newest key (and optionally rebuild the customers' "
        "blind indexes); --check only reports what is still under an old key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="also recompute the customers' blind indexes (after BLIND_INDEX_KEY changed)",
        )
        parser.add_argument(
            "--check", action="store_true", help="change nothing; list what is still under an old key"
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            call_command("check_pii_keys", batch_size=options["batch_size"], stdout=self.stdout)
            return
        reindex: bool = options["reindex"]
        for model, names in pii.encrypted_columns():
            done = self._rotate_model(model, names, options["batch_size"], reindex and model is Customer)
            self.stdout.write(f"{model._meta.label}: {done} rows ({', '.join(names)})")
        what = "re-encrypted and customers re-indexed" if reindex else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(f"Every encrypted column {what} under the newest key."))

    def _rotate_model(
        self, model: type[models.Model], names: list[str], batch_size: int, reindex: bool
    ) -> int:
        # The stored tokens as plain text: Cast skips the field's decryption on the way out.
        raw = {f"pii_stored_{name}": Cast(name, output_field=TextField()) for name in names}
        indexes = list(INDEXED_FIELDS.values()) if reindex else []
        last_pk, done = 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    model._base_manager.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .select_for_update()
                    .only("pk", *indexes)
                    .annotate(**raw)[:batch_size]
                )
                if not batch:
                    return done
                for row in batch:
                    self._rotate_row(model, row, names, reindex)
                # The rotated tokens are written as they are (a plain-text Value), not encrypted again.
                model._base_manager.bulk_update(batch, [*names, *indexes])
            last_pk = batch[-1].pk
            done += len(batch)

    def _rotate_row(
        self, model: type[models.Model], row: models.Model, names: list[str], reindex: bool
    ) -> None:
        for name in names:
            token = getattr(row, f"pii_stored_{name}") or ""
            if not token:
                setattr(row, name, Value(token, output_field=TextField()))
                if reindex and name in INDEXED_FIELDS:
                    setattr(row, INDEXED_FIELDS[name], "")
                continue
            try:
                rotated = pii.rotate(token)
            except InvalidToken as exc:
                raise CommandError(
                    f"{model._meta.label} #{row.pk}: its {name} was encrypted with a key that is not in "
                    "FIELD_ENCRYPTION_KEYS; add that key back (after the new one) and run again."
                ) from exc
            setattr(row, name, Value(rotated, output_field=TextField()))
            if reindex and name in INDEXED_FIELDS:
                setattr(row, INDEXED_FIELDS[name], pii.blind_index(name, pii.decrypt(token)))
