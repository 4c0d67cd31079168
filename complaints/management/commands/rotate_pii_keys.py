"""Re-encrypt customers' personal data under the newest FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS ("new,old"), deploy, run this
command, then drop the old key. With --reindex it also recomputes the blind indexes,
which is needed after BLIND_INDEX_KEY changed (lookups by e-mail or phone find nothing
until then).
"""

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from complaints import pii
from complaints.models import Customer

ENCRYPTED_FIELDS = ("name", "email", "phone")
INDEXED_FIELDS = {"email": "email_index", "phone": "phone_index"}


class Command(BaseCommand):
    help = "Re-encrypt every customer's personal data under the newest key (and optionally rebuild the blind indexes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="customers per transaction")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="also recompute the blind indexes (after BLIND_INDEX_KEY changed)",
        )

    def handle(self, *args, **options) -> None:
        batch_size: int = options["batch_size"]
        reindex: bool = options["reindex"]
        # The stored tokens as plain text: Cast skips the field's decryption on the way out.
        raw = {f"raw_{name}": Cast(name, output_field=TextField()) for name in ENCRYPTED_FIELDS}
        last_pk = 0
        done = 0
        while True:
            with transaction.atomic():
                batch = list(
                    Customer.objects.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .select_for_update()
                    .only("pk", *INDEXED_FIELDS.values())
                    .annotate(**raw)[:batch_size]
                )
                if not batch:
                    break
                fields = self._rotate(batch, reindex)
                # The rotated tokens are written as they are (a plain-text Value), not encrypted again.
                Customer.objects.bulk_update(batch, fields)
            last_pk = batch[-1].pk
            done += len(batch)
        what = "re-encrypted and re-indexed" if reindex else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(f"{done} customers {what} under the newest key."))

    def _rotate(self, batch: list[Customer], reindex: bool) -> list[str]:
        for customer in batch:
            for name in ENCRYPTED_FIELDS:
                token = getattr(customer, f"raw_{name}") or ""
                if not token:
                    setattr(customer, name, Value("", output_field=TextField()))
                    continue
                try:
                    rotated = pii.rotate(token)
                except InvalidToken as exc:
                    raise CommandError(
                        f"Customer #{customer.pk}: its {name} was encrypted with a key that is not in "
                        "FIELD_ENCRYPTION_KEYS; add that key back (after the new one) and run again."
                    ) from exc
                setattr(customer, name, Value(rotated, output_field=TextField()))
                if reindex and name in INDEXED_FIELDS:
                    setattr(customer, INDEXED_FIELDS[name], pii.blind_index(name, pii.decrypt(token)))
            if reindex:
                for name, index in INDEXED_FIELDS.items():
                    if not getattr(customer, f"raw_{name}"):
                        setattr(customer, index, "")
        return [*ENCRYPTED_FIELDS, *(INDEXED_FIELDS.values() if reindex else ())]
