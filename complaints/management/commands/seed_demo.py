"""Load demo data: teams, staff accounts, routing rules, knowledge base, canned replies and tickets.

Reference data and accounts are created or brought up to date (safe to run again); every run
adds `--tickets` more tickets. Tickets go in with bulk inserts in batches (no service calls,
no per-ticket queries), so a million of them is a matter of minutes, not hours. Their
timelines are consistent with the status graph: every status change recorded in a
TicketEvent is a legal transition, and the times on the ticket match its events. The loader lives
in complaints/demo/.
"""

import random
import secrets

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from complaints.demo.reference import Staff, load_reference_data
from complaints.demo.tickets import load_tickets
from complaints.models import Customer, Ticket
from complaints.states import OPEN_STATUSES


class Command(BaseCommand):
    help = "Load demo teams, accounts, routing rules, FAQ, canned replies and N tickets (bulk inserts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=200, help="tickets to add (default 200)")
        parser.add_argument(
            "--password", default="", help="password of every demo account (default: a new random one)"
        )
        parser.add_argument("--agents", type=int, default=10, help="agents agent1..agentN (default 10)")
        parser.add_argument("--batch-size", type=int, default=2000, help="tickets per insert batch")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable load")
        parser.add_argument(
            "--once",
            action="store_true",
            help="add tickets only if the database has none yet (what `make run` uses)",
        )

    def handle(self, *args, **options) -> None:
        rng = random.Random(options["seed"])
        password = options["password"] or _random_password()
        started = timezone.now()
        with transaction.atomic():
            staff = load_reference_data(agents=options["agents"], password=password)
        wanted = options["tickets"]
        if options["once"] and Ticket.objects.exists():
            self.stdout.write("Demo tickets were loaded before: none added (run seed_demo without --once).")
        elif wanted > 0:
            loaded = load_tickets(rng, staff, wanted, options["batch_size"], progress=self.stdout.write)
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(f"Loaded {loaded} tickets in {seconds:.1f} s.")
        self._print_logins(staff, password)
        self._print_erasable_customer()

    def _print_erasable_customer(self) -> None:
        """Name the console page of a customer whose tickets are all finished (erasure needs that)."""
        settled = (
            Customer.objects.filter(tickets__isnull=False, erased_at__isnull=True)
            .exclude(tickets__status__in=OPEN_STATUSES)
            .order_by("pk")
            .first()
        )
        if settled is not None:
            self.stdout.write(
                f"Customer with no open ticket (try erasure): /admin/complaints/customer/{settled.pk}/change/"
            )

    def _print_logins(self, staff: Staff, password: str) -> None:
        usernames = sorted(
            {user.get_username() for users in staff.agents_by_team.values() for user in users},
            key=lambda name: (len(name), name),
        )
        self.stdout.write("Demo logins (same password for all):")
        self.stdout.write(f"  supervisor  /admin/  password: {password}")
        self.stdout.write(f"  {', '.join(usernames)}  /desk/")


def _random_password() -> str:
    return secrets.token_urlsafe(12)
