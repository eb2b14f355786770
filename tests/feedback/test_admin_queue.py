"""The editors' queue: proposals beside the entry, accept chosen fields, reject with a reason."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from interventions.feedback import proposals
from interventions.feedback.models import ConfirmationRequest, Proposal, RequestStatus
from interventions.models import Confirmation, Contact, Intervention
from tests.factories import ContactFactory, InterventionFactory

pytestmark = pytest.mark.django_db


def user_in(django_user_model, group: str, username: str):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.dk", "hemmelig-kode-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return user_in(django_user_model, "Redaktør", "redaktor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reader_client(client, django_user_model):
    client.force_login(user_in(django_user_model, "Læser", "laeser"))
    return client


@pytest.fixture
def entry() -> Intervention:
    entry = InterventionFactory(status=Intervention.Status.PLANNED, period_start=2020)
    ContactFactory(intervention=entry, name="Gammel Kontakt", email="gammel@example.dk")
    return entry


def owner_correction(entry, **changes) -> Proposal:
    """As the owner's correction form stores it (OWNER's part of issue #19)."""
    request = ConfirmationRequest.objects.create(
        intervention=entry,
        recipient_name="Testkommune",
        recipient_email="ejer@example.dk",
        expires_at=timezone.now() + datetime.timedelta(days=30),
        status=RequestStatus.CORRECTED,
        answered_at=timezone.now() - datetime.timedelta(days=1),
        answered_by="Anna Ejer, Testkommune",
    )
    return Proposal.objects.create(
        kind=Proposal.Kind.CORRECTION,
        intervention=entry,
        request=request,
        changes=changes,
        submitter_name="Anna Ejer",
    )


def change_url(proposal) -> str:
    return reverse("admin:interventions_proposal_change", args=[proposal.pk])


def test_the_queue_lists_proposals_with_counts_per_status_and_filters(editor_client, entry):
    Proposal.objects.create(kind=Proposal.Kind.ERROR_REPORT, intervention=entry, message="a")
    Proposal.objects.create(
        kind=Proposal.Kind.ERROR_REPORT, intervention=entry, message="b", status="rejected"
    )
    url = reverse("admin:interventions_proposal_changelist")
    page = editor_client.get(url).content.decode()
    assert "Ny: <strong>1</strong>" in page and "Afvist: <strong>1</strong>" in page
    assert "Under behandling" in page and "Fejlmelding" in page
    filtered = editor_client.get(url, {"status__exact": "new"})
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 1
    assert editor_client.get(url, {"kind__exact": "suggestion"}).context["cl"].result_count == 0


def test_a_proposal_is_shown_beside_the_current_values_field_by_field(editor_client, entry):
    proposal = owner_correction(entry, status="running", contact_name="Ny Kontakt")
    page = editor_client.get(change_url(proposal)).content.decode()
    assert "Nuværende værdi" in page and "Foreslået værdi" in page
    assert "Planlagt" in page and "I drift" in page
    assert "Gammel Kontakt" in page and "Ny Kontakt" in page
    assert 'name="fields" value="status"' in page
    assert 'name="fields" value="contact_name"' in page


def test_accepting_applies_only_the_chosen_fields_with_a_history_reason_and_a_confirmation(
    editor_client, editor, entry
):
    proposal = owner_correction(
        entry, status="running", contact_name="Ny Kontakt", contact_email="ny@example.dk"
    )
    response = editor_client.post(
        change_url(proposal), {"action": "accept", "fields": ["status", "contact_email"]}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "running"
    contact = entry.contacts.get()
    assert (contact.name, contact.email) == ("Gammel Kontakt", "ny@example.dk")
    record = entry.history.latest()
    assert record.history_change_reason == (
        f"Forslag #{proposal.pk} godkendt: status, kontaktpersonens e-mail"
    )
    assert record.history_user == editor
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert proposal.accepted_fields == ["status", "contact_email"]
    assert proposal.decided_by == editor and proposal.decided_at
    confirmation = entry.confirmations.get()
    assert confirmation.method == Confirmation.Method.LINK
    assert confirmation.confirmed_by == "Anna Ejer, Testkommune"
    assert confirmation.confirmed_on == timezone.localdate(proposal.request.answered_at)
    assert confirmation.recorded_by == editor
    assert f"#{proposal.pk}" in confirmation.note
    assert entry.last_confirmed_on == confirmation.confirmed_on


def test_an_error_report_with_changes_records_no_confirmation(editor, entry):
    proposal = Proposal.objects.create(
        kind=Proposal.Kind.ERROR_REPORT, intervention=entry, changes={"period_start": 2019}
    )
    proposals.accept(proposal, ["period_start"], editor)
    entry.refresh_from_db()
    assert entry.period_start == 2019
    assert not entry.confirmations.exists()


def test_an_error_report_without_values_is_acknowledged(editor_client, entry):
    proposal = Proposal.objects.create(kind=Proposal.Kind.ERROR_REPORT, intervention=entry)
    before = entry.history.count()
    assert editor_client.post(change_url(proposal), {"action": "accept"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert entry.history.count() == before


def test_an_invalid_proposed_value_is_shown_with_its_problem_and_cannot_be_accepted(
    editor_client, entry
):
    proposal = owner_correction(entry, contact_phone="12", period_end=2010, status="ended")
    page = editor_client.get(change_url(proposal)).content.decode()
    assert "er ikke et dansk telefonnummer" in page
    assert 'value="contact_phone"' not in page and 'value="period_end"' not in page
    assert 'value="status"' in page
    version = entry.history.count()
    response = editor_client.post(
        change_url(proposal), {"action": "accept", "fields": ["status", "contact_phone"]}
    )
    assert response.status_code == 400
    assert "telefonnummer" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == "planned"  # nothing half-written
    assert entry.history.count() == version
    assert Proposal.objects.get(pk=proposal.pk).status == "new"


def test_rejecting_requires_a_reason_and_records_it(editor_client, editor, entry):
    proposal = Proposal.objects.create(kind=Proposal.Kind.ERROR_REPORT, intervention=entry)
    response = editor_client.post(change_url(proposal), {"action": "reject", "reason": "  "})
    assert response.status_code == 400
    assert "Skriv en begrundelse" in response.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).status == "new"
    response = editor_client.post(
        change_url(proposal), {"action": "reject", "reason": "Oplysningerne er korrekte."}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "rejected"
    assert proposal.decision_reason == "Oplysningerne er korrekte."
    assert proposal.decided_by == editor
    # Decided: no second decision.
    response = editor_client.post(change_url(proposal), {"action": "accept"})
    assert response.status_code == 400 and "allerede afgjort" in response.content.decode()


def test_under_behandling_marks_it_in_progress(editor_client, entry):
    proposal = Proposal.objects.create(kind=Proposal.Kind.ERROR_REPORT, intervention=entry)
    assert editor_client.post(change_url(proposal), {"action": "take_up"}).status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == "in_progress"


def test_a_reader_sees_the_queue_without_buttons_and_gets_403_on_post(reader_client, entry):
    proposal = owner_correction(entry, status="running")
    response = reader_client.get(change_url(proposal))
    assert response.status_code == 200
    page = response.content.decode()
    assert "I drift" in page
    assert 'name="action"' not in page and 'name="fields"' not in page
    for action in ("accept", "reject", "take_up"):
        data = {"action": action, "fields": ["status"], "reason": "nej"}
        assert reader_client.post(change_url(proposal), data).status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).status == "new"
    assert reader_client.get(reverse("admin:interventions_proposal_changelist")).status_code == 200


def test_an_editor_without_the_decide_permission_gets_no_buttons(client, django_user_model, entry):
    user = user_in(django_user_model, "Læser", "praktikant")
    user.user_permissions.add(
        *Group.objects.get(name="Redaktør").permissions.filter(codename="change_proposal")
    )
    client.force_login(user)
    proposal = owner_correction(entry, status="running")
    assert 'name="action"' not in client.get(change_url(proposal)).content.decode()
    assert (
        client.post(change_url(proposal), {"action": "accept", "fields": ["status"]}).status_code
        == 403
    )


def test_a_proposal_for_a_deleted_entry_is_kept_flagged_and_cannot_be_applied(
    editor_client, editor, entry
):
    proposal = owner_correction(entry, status="running")
    title = entry.title
    entry.delete()
    proposal.refresh_from_db()
    assert proposal.entry_deleted
    page = editor_client.get(reverse("admin:interventions_proposal_changelist")).content.decode()
    assert f"{title} (Indsatsen er slettet)" in page
    page = editor_client.get(change_url(proposal)).content.decode()
    assert "Indsatsen er slettet" in page and 'name="fields"' not in page
    response = editor_client.post(change_url(proposal), {"action": "accept", "fields": ["status"]})
    assert response.status_code == 400
    assert Proposal.objects.get(pk=proposal.pk).status == "new"
    # It can still be rejected with a reason.
    editor_client.post(change_url(proposal), {"action": "reject", "reason": "Slettet."})
    assert Proposal.objects.get(pk=proposal.pk).status == "rejected"


def test_html_from_a_visitor_is_shown_as_text_in_the_admin(editor_client, entry):
    evil = "<script>alert(1)</script><b>fed</b>"
    proposal = Proposal.objects.create(
        kind=Proposal.Kind.SUGGESTION,
        changes={"title": evil, "organisation": evil, "summary": evil},
        message=evil,
        submitter_name=evil,
    )
    for url in (reverse("admin:interventions_proposal_changelist"), change_url(proposal)):
        page = editor_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "<b>fed</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_suggestion_accepted_becomes_an_unpublished_draft_from_the_intake_source(
    editor_client, editor
):
    proposal = Proposal.objects.create(
        kind=Proposal.Kind.SUGGESTION,
        changes={
            "title": "Gå-hold for ensomme ældre",
            "organisation": "Testrup Kommune",
            "municipalities": ["aarhus", "horsens"],
            "summary": "Ugentlige gåture.",
            "period_start": 2024,
            "contact_name": "Hanne Hansen",
            "contact_email": "hanne@example.dk",
            "contact_phone": "76 29 00 00",
        },
    )
    page = editor_client.get(change_url(proposal)).content.decode()
    assert "Godkend som kladde" in page
    fields = list(proposal.changes)
    response = editor_client.post(change_url(proposal), {"action": "accept", "fields": fields})
    assert response.status_code == 302
    proposal.refresh_from_db()
    draft = proposal.draft
    assert proposal.status == "accepted" and draft is not None
    assert not draft.is_published
    assert draft.source.key == "indberetninger"
    assert draft.slug == "gaa-hold-for-ensomme-aeldre-testrup-kommune"
    assert (draft.title, draft.organisation, draft.period_start) == (
        "Gå-hold for ensomme ældre",
        "Testrup Kommune",
        2024,
    )
    assert sorted(draft.municipalities.values_list("slug", flat=True)) == ["aarhus", "horsens"]
    contact = draft.contacts.get()
    assert (contact.name, contact.email, contact.phone) == (
        "Hanne Hansen",
        "hanne@example.dk",
        "76 29 00 00",
    )
    record = draft.history.get()
    reason = record.history_change_reason
    assert reason.startswith(f"Forslag #{proposal.pk} godkendt som kladde: titel, organisation")
    assert len(reason) <= 100 and reason.endswith("…")  # the column's length; the list is kept
    assert proposal.accepted_fields == fields
    assert record.history_user == editor
    assert not draft.confirmations.exists()  # anyone may suggest: not the owner's confirmation
    # Not public until an editor publishes it.
    assert editor_client.logout() is None
    assert editor_client.get(draft.get_absolute_url()).status_code == 404


def test_a_suggestion_without_its_required_essentials_cannot_become_a_draft(editor):
    proposal = Proposal.objects.create(
        kind=Proposal.Kind.SUGGESTION, changes={"title": "Kun en titel", "organisation": "X"}
    )
    with pytest.raises(proposals.ProposalInvalid) as raised:
        proposals.accept(proposal, ["title", "organisation"], editor)
    assert "summary" in raised.value.problems
    assert not Intervention.objects.filter(title="Kun en titel").exists()


def test_current_values_are_in_the_format_of_the_changes(entry):
    values = proposals.current_values(entry)
    assert values["status"] == "planned"
    assert values["period_start"] == 2020
    assert values["contact_name"] == "Gammel Kontakt"
    assert values["served_municipalities"] == []
    assert Contact.objects.filter(intervention=entry).count() == 1


def test_served_municipalities_are_set_as_proposed(editor, entry):
    proposal = owner_correction(entry, served_municipalities=["aarhus", "odder"])
    proposals.accept(proposal, ["served_municipalities"], editor)
    assert sorted(entry.served_municipalities.values_list("slug", flat=True)) == [
        "aarhus",
        "odder",
    ]
