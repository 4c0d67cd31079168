from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from feedback import services


class Command(BaseCommand):
    help = "Send the satisfaction surveys and reminders that are due (one run of the beat job)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=None, help="Surveys per batch.")

    def handle(self, *args: object, batch_size: int | None = None, **options: object) -> None:
        batch_size = batch_size or settings.FEEDBACK["BATCH_SIZE"]
        total = services.SendReport()
        # Batches until one comes back short, as the beat task does by re-queuing itself.
        while True:
            report = services.send_due_surveys(batch_size=batch_size)
            for field in ("sent", "reminded", "postponed", "failed", "cancelled", "expired"):
                setattr(total, field, getattr(total, field) + getattr(report, field))
            if report.handled < batch_size or report.stopped_early:
                break
        self.stdout.write(
            f"sent {total.sent}, reminded {total.reminded}, postponed {total.postponed}, "
            f"failed {total.failed}, cancelled {total.cancelled}, expired {total.expired}"
        )
