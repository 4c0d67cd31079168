from django.core.management.base import BaseCommand

from channels_intake import imap


class Command(BaseCommand):
    help = "Poll every active mailbox once (the same code the beat schedule runs every minute)."

    def handle(self, *args: object, **options: object) -> None:
        totals = imap.poll_all_mailboxes()
        self.stdout.write(
            "fetched {fetched}, processed {processed}, ignored {ignored}, failed {failed}".format(**totals)
        )
