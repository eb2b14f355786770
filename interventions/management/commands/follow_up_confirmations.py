"""Follow up confirmation requests, for cron (ADR 0015):

    manage.py follow_up_confirmations                   # list requests unanswered after 14 days
    manage.py follow_up_confirmations --resend          # ... and remind their owners
    manage.py follow_up_confirmations --give-up-days 60 # close those older as "no answer"

A request is closed as NO_ANSWER when its link has expired or it is older than --give-up-days;
the entry's page and the API then say that the owner was asked and did not answer. That is never
a confirmation: the entry stays as unconfirmed as it was.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from interventions.feedback.confirmations import give_up, last_sent, remind, unanswered
from interventions.feedback.models import ConfirmationRequest, RequestStatus


class Command(BaseCommand):
    help = "List, remind and close confirmation requests their owners have not answered."

    def add_arguments(self, parser):
        parser.add_argument("--after-days", type=int, default=14, help="unanswered this long")
        parser.add_argument("--resend", action="store_true", help="send a reminder")
        parser.add_argument("--max-reminders", type=int, default=1, help="at most this many")
        parser.add_argument(
            "--give-up-days",
            type=int,
            default=None,
            help="close requests older than this as 'no answer' (expired links always are)",
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would be done")
        parser.add_argument("--base-url", default="", help="the site's address (default SITE_URL)")

    def handle(
        self, *args, after_days, resend, max_reminders, give_up_days, dry_run, base_url, **o
    ):
        translation.activate("da")
        if after_days < 0 or max_reminders < 0 or (give_up_days is not None and give_up_days < 1):
            raise CommandError("The numbers of days and reminders cannot be negative.")
        base_url = (base_url or settings.SITE_URL).rstrip("/")
        if resend and not base_url:
            raise CommandError("Reminders need the site's address: set SITE_URL or --base-url.")
        now = timezone.now()
        closed = self._give_up(now, give_up_days, dry_run)
        listed = reminded = 0
        for request in unanswered(after_days, now=now).prefetch_related("messages"):
            listed += 1
            line = (
                f"{request.intervention.slug}: asked {request.created_at:%Y-%m-%d}"
                f" ({request.recipient_email or 'no e-mail'}), reminders {request.reminders_sent}"
            )
            due = (
                resend
                and request.recipient_email
                and request.reminders_sent < max_reminders
                and last_sent(request) <= now - timedelta(days=after_days)
            )
            if due and not dry_run:
                message = remind(request, base_url=base_url)
                line += (
                    " — reminded" if message.delivered else f" — reminder failed: {message.error}"
                )
                reminded += message.delivered
            elif due:
                line += " — would remind"
            self.stdout.write(line)
        self.stdout.write(
            f"Unanswered after {after_days} days: {listed}; reminded: {reminded}; "
            f"closed without an answer: {closed}."
        )

    def _give_up(self, now, give_up_days: int | None, dry_run: bool) -> int:
        pending = ConfirmationRequest.objects.filter(status=RequestStatus.PENDING)
        over = pending.filter(expires_at__lte=now)
        if give_up_days is not None:
            over = over | pending.filter(created_at__lte=now - timedelta(days=give_up_days))
        count = 0
        for request in over.select_related("intervention").distinct():
            count += 1
            verb = "would close" if dry_run else "closed"
            self.stdout.write(
                f"{request.intervention.slug}: asked {request.created_at:%Y-%m-%d}, no answer — "
                f"{verb}"
            )
            if not dry_run:
                give_up(request)
        return count
