from django.core.management.base import BaseCommand, CommandParser

from assist import services


class Command(BaseCommand):
    help = "Train the assistant on the resolved and closed tickets; keep the model in use if the new one is worse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="adopt the new model even if it is worse")

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        result = services.train(force=force)
        for slug, count in sorted(result.skipped_categories.items()):
            self.stdout.write(f"  left to the rules: {slug} ({count} tickets)")
        if result.scores:
            figures = ", ".join(f"{name} {value:.1%}" for name, value in result.scores.items())
            self.stdout.write(f"  {result.size} tickets; held-out: {figures}")
        self.stdout.write(
            self.style.SUCCESS(result.message) if result.adopted else self.style.WARNING(result.message)
        )
