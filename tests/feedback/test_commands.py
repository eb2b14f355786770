"""request_confirmations and follow_up_confirmations, as cron and editors run them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from interventions.feedback.models import ConfirmationRequest, RequestStatus, SentMessage
from interventions.models import Freshness, Intervention
from tests.factories import InterventionFactory, confirm
from tests.feedback.conftest import BASE

pytestmark = pytest.mark.django_db


def run(command, *args) -> str:
    out = StringIO()
    call_command(command, *args, "--base-url", BASE, stdout=out)
    return out.getvalue()


def test_one_entry_by_slug_is_mailed_and_not_asked_twice(entry, mailoutbox):
    output = run("request_confirmations", "--entry", entry.slug)
    assert "anmodning sendt til anne@example.dk" in output
    assert (
        len(mailoutbox) == 1 and ConfirmationRequest.objects.filter(intervention=entry).count() == 1
    )
    again = run("request_confirmations", "--entry", entry.slug)
    assert "ikke spurgt igen" in again and "1 skipped" in again
    assert len(mailoutbox) == 1 and ConfirmationRequest.objects.count() == 1


def test_without_an_address_the_link_is_printed(mailoutbox):
    entry = InterventionFactory()
    output = run("request_confirmations", "--entry", entry.slug, "--days-valid", "5")
    request = ConfirmationRequest.objects.get(intervention=entry)
    assert f"{BASE}/bekraeft/" in output and mailoutbox == []
    assert (
        timedelta(days=4, hours=23) < request.expires_at - request.created_at <= timedelta(days=5)
    )


def test_a_whole_source_dry_run_creates_nothing(mailoutbox):
    output = run("request_confirmations", "--source", "dassos-2015", "--dry-run")
    count = Intervention.objects.published().filter(source__key="dassos-2015").count()
    assert count > 0 and output.count("dassos") >= 0
    assert "Would ask: " in output and not ConfirmationRequest.objects.exists()
    assert mailoutbox == []


def test_stale_skips_recently_confirmed_entries(mailoutbox):
    fresh = InterventionFactory()
    confirm(fresh, timezone.localdate())
    stale = InterventionFactory()
    run("request_confirmations", "--stale")
    asked = set(ConfirmationRequest.objects.values_list("intervention__slug", flat=True))
    assert stale.slug in asked and fresh.slug not in asked
    expected = (
        Intervention.objects.published()
        .with_freshness()
        .exclude(freshness_bucket=Freshness.CONFIRMED)
    )
    assert asked == set(expected.values_list("slug", flat=True))


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--source", "ingen-kilde"],
        ["--entry", "ingen-indsats"],
        ["--stale", "--days-valid", "0"],
    ],
)
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError):
        run("request_confirmations", *args)


def _age(request: ConfirmationRequest, days: int) -> None:
    then = timezone.now() - timedelta(days=days)
    ConfirmationRequest.objects.filter(pk=request.pk).update(created_at=then)
    SentMessage.objects.filter(request=request).update(sent_at=then)


def test_follow_up_lists_and_reminds_once(asked, mailoutbox):
    _age(asked.request, 15)
    listed = run("follow_up_confirmations")
    assert asked.intervention.slug in listed and "Unanswered after 14 days: 1" in listed
    assert len(mailoutbox) == 1
    reminded = run("follow_up_confirmations", "--resend")
    assert "reminded" in reminded and len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith("Påmindelse:") and "/bekraeft/" in mailoutbox[1].body
    request = ConfirmationRequest.objects.get(pk=asked.request.pk)
    assert request.reminders_sent == 1
    assert request.messages.filter(kind="reminder", delivered=True).count() == 1
    run("follow_up_confirmations", "--resend", "--after-days", "0")
    assert len(mailoutbox) == 2  # --max-reminders 1


def test_follow_up_closes_old_and_expired_requests_as_no_answer(asked, client):
    _age(asked.request, 61)
    output = run("follow_up_confirmations", "--give-up-days", "60")
    assert "closed without an answer: 1" in output
    request = ConfirmationRequest.objects.get(pk=asked.request.pk)
    assert request.status == RequestStatus.NO_ANSWER
    entry = Intervention.objects.get(pk=asked.intervention.pk)
    assert entry.last_confirmed_on is None and entry.freshness != Freshness.CONFIRMED
    # The link no longer works, and says so.
    assert client.get(asked.link.removeprefix(BASE)).status_code == 410


def test_an_expired_link_is_closed_without_give_up_days(asked):
    ConfirmationRequest.objects.filter(pk=asked.request.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    run("follow_up_confirmations")
    assert ConfirmationRequest.objects.get(pk=asked.request.pk).status == RequestStatus.NO_ANSWER


def test_follow_up_dry_run_changes_nothing(asked, mailoutbox):
    _age(asked.request, 100)
    output = run("follow_up_confirmations", "--resend", "--give-up-days", "200", "--dry-run")
    assert "would remind" in output and len(mailoutbox) == 1
    assert ConfirmationRequest.objects.get(pk=asked.request.pk).reminders_sent == 0


def test_the_page_and_the_api_say_the_owner_did_not_answer(asked, client):
    _age(asked.request, 61)
    run("follow_up_confirmations", "--give-up-days", "60")
    entry = asked.intervention
    asked_on = timezone.localdate(ConfirmationRequest.objects.get(pk=asked.request.pk).created_at)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Ejeren blev bedt om at bekræfte oplysningerne den" in page
    assert "og har ikke svaret" in page and "Aldrig bekræftet af ejeren" in page
    api = client.get(f"/api/interventions/{entry.slug}/").json()
    assert api["unanswered_request_on"] == asked_on.isoformat()
    assert api["confirmed"] is None and api["freshness"] != "confirmed"
    # A later confirmation makes the old silence history.
    confirm(entry, timezone.localdate())
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "har ikke svaret" not in page
    assert client.get(f"/api/interventions/{entry.slug}/").json()["unanswered_request_on"] is None
