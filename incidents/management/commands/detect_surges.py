"""One run of the surge sweep (the code the beat schedule runs): python manage.py detect_surges."""

from django.core.management.base import BaseCommand

from incidents import services


class Command(BaseCommand):
    help = "Turn bursts of similar new complaints into suspected incidents (one run of the beat's sweep)."

    def handle(self, *args: object, **options: object) -> None:
        created = services.detect_surges()
        for incident in created:
            self.stdout.write(f"#{incident.pk} {incident.title} ({incident.links.count()})")
        self.stdout.write(self.style.SUCCESS(f"{len(created)} suspected incident(s)"))
