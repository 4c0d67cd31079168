"""One run of the SLA sweep (the code the beat schedule runs), draining every due batch."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sla import services


class Command(BaseCommand):
    help = (
        "Fire every SLA warning and breach that is due (the same service as the sla.tasks.sweep beat task)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        fired = picked = 0
        while True:
            result = services.fire_due_clocks(batch_size=batch_size)
            fired += result.fired
            picked += result.picked
            # A full batch may hide more; stop when it is not full or nothing could be taken.
            if result.picked < batch_size or not result.tickets:
                break
        self.stdout.write(f"{fired} SLA alert(s) fired, {picked} due clock(s) looked at.")
