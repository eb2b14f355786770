"""Ask owners to confirm their entries: one signed link per entry, e-mailed where an address is
known, otherwise printed for the editor to send another way (ADR 0015).

    manage.py request_confirmations --source dassos-2015
    manage.py request_confirmations --stale --dry-run
    manage.py request_confirmations --entry housing-first-aarhus --days-valid 45

An entry with a request still waiting is skipped and said so. Links need the site's address:
SITE_URL, or --base-url.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from interventions.feedback.confirmations import (
    ask_owner,
    describe_asked,
    open_request,
    owner_contact,
)
from interventions.models import Freshness, Intervention, SourceDocument


class Command(BaseCommand):
    help = "Create a confirmation request per chosen entry and e-mail its link to the owner."

    def add_arguments(self, parser):
        parser.add_argument("--source", help="every published entry of this source (its key)")
        parser.add_argument(
            "--stale", action="store_true", help="every published entry not confirmed recently"
        )
        parser.add_argument("--entry", action="append", default=[], help="an entry's slug")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done")
        parser.add_argument(
            "--days-valid",
            type=int,
            default=None,
            help=f"days the link works (default {settings.CONFIRMATION_LINK_DAYS})",
        )
        parser.add_argument("--base-url", default="", help="the site's address (default SITE_URL)")

    def handle(self, *args, source, stale, entry, dry_run, days_valid, base_url, **options):
        translation.activate("da")
        if not (source or stale or entry):
            raise CommandError("Choose the entries: --source KEY, --stale or --entry SLUG.")
        if days_valid is not None and not 1 <= days_valid <= 365:
            raise CommandError("--days-valid must be from 1 to 365.")
        base_url = (base_url or settings.SITE_URL).rstrip("/")
        if not base_url:
            raise CommandError("The links need the site's address: set SITE_URL or --base-url.")
        entries = Intervention.objects.published()
        if source:
            if not SourceDocument.objects.filter(key=source).exists():
                raise CommandError(f"No source with the key {source!r}.")
            entries = entries.filter(source__key=source)
        if entry:
            missing = set(entry) - set(
                Intervention.objects.filter(slug__in=entry).values_list("slug", flat=True)
            )
            if missing:
                raise CommandError(f"No entry with the slug {', '.join(sorted(missing))}.")
            entries = Intervention.objects.filter(slug__in=entry)
            if source:
                entries = entries.filter(source__key=source)
        if stale:
            entries = entries.with_freshness().exclude(freshness_bucket=Freshness.CONFIRMED)
        entries = entries.select_related("source").prefetch_related("contacts").order_by("slug")
        counts = {"sent": 0, "link": 0, "failed": 0, "skipped": 0}
        for obj in entries:
            if dry_run:
                self._dry_run(obj, counts)
                continue
            asked = ask_owner(obj, base_url=base_url, days_valid=days_valid)
            level, text = describe_asked(asked)
            if asked.already_waiting:
                counts["skipped"] += 1
            elif asked.mailed:
                counts["sent"] += 1
            elif asked.message is not None:
                counts["failed"] += 1
            else:
                counts["link"] += 1
            style = {messages.SUCCESS: self.style.SUCCESS, messages.ERROR: self.style.ERROR}
            self.stdout.write(style.get(level, str)(text))
        prefix = "Would ask" if dry_run else "Asked"
        self.stdout.write(
            f"{prefix}: {counts['sent']} by e-mail, {counts['link']} by a link to send yourself, "
            f"{counts['failed']} e-mail failed, {counts['skipped']} skipped (already waiting)."
        )

    def _dry_run(self, obj: Intervention, counts: dict) -> None:
        waiting = open_request(obj)
        contact = owner_contact(obj)
        if waiting is not None:
            counts["skipped"] += 1
            self.stdout.write(f"{obj.slug}: skipped, asked {waiting.created_at:%Y-%m-%d}")
        elif contact is not None and contact.email:
            counts["sent"] += 1
            self.stdout.write(f"{obj.slug}: would e-mail {contact.email}")
        else:
            counts["link"] += 1
            self.stdout.write(f"{obj.slug}: no e-mail address; would print a link")
