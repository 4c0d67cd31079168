from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from complaints.models import Resolution
from feedback import services, tokens
from feedback.models import Survey, SurveyPolicy

DEMO_POLICY = "Demo: ask one minute after resolution"


class Command(BaseCommand):
    help = (
        "For the demo (`make run`): a survey policy that asks a minute after resolution at any hour, "
        "and one survey due now, whose link is printed; safe to run again."
    )

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            SurveyPolicy.objects.get_or_create(
                name=DEMO_POLICY,
                defaults={"position": 1, "delay_minutes": 1, "quiet_start": "00:00", "quiet_end": "00:00"},
            )
            survey = self._demo_survey()
        if survey is None:
            self.stdout.write("No resolved demo ticket with an e-mail address: no demo survey.")
            return
        self.stdout.write(
            f"Demo survey for {survey.ticket.reference} ({survey.get_state_display()}; the worker e-mails it "
            f"within a minute): {tokens.survey_url(survey)}"
        )

    def _demo_survey(self) -> Survey | None:
        """The demo's survey not yet answered, else a new one about a resolved ticket, due now."""
        pending = Survey.objects.filter(
            policy__name=DEMO_POLICY, state__in=[Survey.State.SCHEDULED, Survey.State.SENT]
        ).first()
        if pending is not None:
            return pending
        # Scheduled as if resolved a minute ago, through the service: the demo policy makes it due now.
        now = timezone.now()
        candidates = (
            Resolution.objects.filter(ticket__status="resolved", survey__isnull=True)
            .exclude(ticket__customer__email_index="")
            .order_by("-created_at")[:20]
        )
        for resolution in candidates:
            survey = services.schedule_survey(
                ticket_id=resolution.ticket_id, resolution_id=resolution.pk, now=now - timedelta(minutes=1)
            )
            if survey is not None:
                return survey
        return None
