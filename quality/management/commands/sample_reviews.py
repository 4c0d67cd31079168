from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quality import services


class Command(BaseCommand):
    help = "Draw a week's quality-inspection sample (default: last week; the beat job runs the same)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="Any day of the week to sample, YYYY-MM-DD (default: last week).")
        parser.add_argument(
            "--size", type=int, default=None, help="Random tickets per agent (default: settings)."
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for a repeatable draw.")

    def handle(
        self,
        *args: object,
        week: str | None = None,
        size: int | None = None,
        seed: int | None = None,
        **options: object,
    ) -> None:
        try:
            week_start = date.fromisoformat(week) if week else services.previous_week()
        except ValueError:
            raise CommandError(f"--week must be a date like 2026-03-02, not {week!r}.") from None
        if size is not None and size < 0:
            raise CommandError("--size cannot be negative.")
        result = services.sample_for_week(week_start=week_start, size=size, seed=seed)
        if result.created:
            self.stdout.write(f"week of {result.run.week_start}: {result.reviews} tickets sampled")
        else:
            self.stdout.write(
                f"week of {result.run.week_start}: already sampled ({result.run.sampled} tickets)"
            )
