from django.core.management.base import BaseCommand

from quality import transparency


class Command(BaseCommand):
    help = "Recompute the public transparency figures now (one run of the beat job)."

    def handle(self, *args: object, **options: object) -> None:
        snapshot = transparency.compute_snapshot()
        self.stdout.write(f"snapshot {snapshot.pk} computed at {snapshot.computed_at.isoformat()}")
