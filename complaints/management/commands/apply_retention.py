"""One run of the retention job: the same code the daily beat entry runs, until nothing is left to do."""

from django.core.management.base import BaseCommand, CommandParser

from complaints import privacy
from complaints.models import RetentionPolicy


class Command(BaseCommand):
    help = (
        "Anonymise closed tickets older than the retention policy allows, and erase customers left with none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=privacy.RETENTION_BATCH, help="tickets per transaction"
        )

    def handle(self, *args: object, batch_size: int, **options: object) -> None:
        policy = RetentionPolicy.current()
        if not policy.enabled:
            self.stdout.write("Retention is disabled (admin: Retention policy); nothing done.")
            return
        tickets = customers = 0
        while True:
            outcome = privacy.apply_retention(batch_size=batch_size)
            tickets += outcome.tickets_anonymised
            customers += outcome.customers_erased
            if outcome.tickets_anonymised < batch_size:
                break
        self.stdout.write(
            f"Anonymised {tickets} closed tickets older than {policy.closed_ticket_days} days; "
            f"erased {customers} customers."
        )
