"""Editors' workflow: drafts stay private, history and revert, freshness, the editor command."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import QueryDict
from django.test import override_settings
from django.urls import reverse

from interventions.listing.facets import compute_facets
from interventions.models import (
    Confirmation,
    Freshness,
    Intervention,
    LegalBasis,
    LegalParagraph,
    Method,
    SourceDocument,
    TargetGroup,
    stale_cutoff,
)
from tests.admin_forms import posted
from tests.factories import ContactFactory, InterventionFactory, confirm

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Fortroligt udkast om hjemløshed"


@pytest.fixture
def draft():
    return InterventionFactory(
        title=SECRET_TITLE,
        is_published=False,
        target_groups=[TargetGroup.objects.get(slug="hjemloese")],
    )


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user(
        "redaktor", "redaktor@example.dk", "hemmelig-kode-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Redaktør"))
    return user


# --- Drafts ---------------------------------------------------------------------------------------


def test_a_draft_is_absent_from_list_search_facets_and_home(client, draft):
    for url, params in (
        (reverse("interventions:list"), {}),
        (reverse("interventions:list"), {"q": "Fortroligt udkast"}),
        (reverse("interventions:list"), {"target_group": "hjemloese"}),
        (reverse("interventions:home"), {}),
    ):
        html = client.get(url, params).content.decode()
        assert SECRET_TITLE not in html and draft.slug not in html
    facets = compute_facets(QueryDict(""))
    homeless = next(
        v for f in facets if f.param == "target_group" for v in f.values if v.value == "hjemloese"
    )
    assert (
        homeless.count
        == Intervention.objects.published().filter(target_groups__slug="hjemloese").count()
    )


def test_a_draft_is_absent_from_the_json_export(capsys, draft):
    call_command("export_catalogue")
    assert draft.slug not in capsys.readouterr().out


def test_anonymous_visitors_and_plain_users_get_404_for_a_draft(client, django_user_model, draft):
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(django_user_model.objects.create_user("borger", password="x-y-z-123456"))
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_an_editor_previews_a_draft_marked_kladde_and_noindex(client, editor, draft):
    client.force_login(editor)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Kladde" in response.content.decode()
    assert "noindex" in response["X-Robots-Tag"]
    published = Intervention.objects.get(slug="biofeedback-horsens")
    response = client.get(published.get_absolute_url())
    assert "Kladde" not in response.content.decode()
    assert "X-Robots-Tag" not in response


def test_a_draft_is_still_absent_from_lists_for_an_editor(client, editor, draft):
    client.force_login(editor)
    html = client.get(reverse("interventions:list"), {"q": "Fortroligt"}).content.decode()
    assert SECRET_TITLE not in html


# --- Freshness ------------------------------------------------------------------------------------


def test_information_is_as_old_as_its_source_until_someone_confirms_it():
    entry = InterventionFactory()  # DASSOS' catalogue, January 2016
    assert entry.information_date == datetime.date(2016, 1, 1)
    assert not entry.is_confirmed
    assert entry.is_stale_on(datetime.date(2026, 12, 3))
    assert entry.freshness_on(datetime.date(2026, 12, 3)) == Freshness.NEVER_CONFIRMED
    assert entry in Intervention.objects.stale(datetime.date(2026, 12, 3))


def test_reviewing_an_entry_against_its_source_is_no_confirmation():
    entry = InterventionFactory(reviewed_on=datetime.date(2026, 11, 22))
    assert not entry.is_confirmed
    assert entry.information_date == datetime.date(2016, 1, 1)


def test_a_confirmation_dates_the_information_and_ages_with_it():
    entry = InterventionFactory()
    confirm(entry, datetime.date(2026, 11, 22))
    entry.refresh_from_db()
    assert entry.last_confirmed_on == entry.information_date == datetime.date(2026, 11, 22)
    on, later = datetime.date(2028, 11, 22), datetime.date(2028, 11, 23)
    assert stale_cutoff(on) == datetime.date(2026, 11, 22)
    assert not entry.is_stale_on(on) and entry.is_stale_on(later)
    assert entry.freshness_on(on) == Freshness.CONFIRMED
    assert entry.freshness_on(later) == Freshness.CONFIRMED_LONG_AGO
    assert entry in Intervention.objects.fresh(on)
    assert entry in Intervention.objects.stale(later)


def test_the_latest_of_several_confirmations_counts_and_removing_it_goes_back():
    entry = InterventionFactory()
    confirm(entry, datetime.date(2025, 3, 1))
    latest = confirm(entry, datetime.date(2026, 6, 1))
    entry.refresh_from_db()
    assert entry.last_confirmed_on == datetime.date(2026, 6, 1)
    latest.delete()
    entry.refresh_from_db()
    assert entry.last_confirmed_on == datetime.date(2025, 3, 1)


def test_a_recent_source_is_current_without_a_confirmation():
    entry = InterventionFactory(source=SourceDocument.objects.get(key="defactum-akutpsykiatri"))
    assert entry.freshness_on(datetime.date(2026, 12, 3)) == Freshness.RECENT_SOURCE
    assert entry.freshness_on(datetime.date(2027, 1, 2)) == Freshness.NEVER_CONFIRMED


def test_the_database_puts_every_entry_in_the_same_freshness_bucket_as_python():
    confirm(Intervention.objects.first(), datetime.date(2026, 11, 1))
    confirm(Intervention.objects.last(), datetime.date(2023, 1, 1))
    for on in (datetime.date(2026, 12, 3), datetime.date(2027, 6, 1)):
        annotated = Intervention.objects.with_freshness(on).select_related("source")
        buckets = {obj.freshness_bucket for obj in annotated}
        assert all(obj.freshness_bucket == obj.freshness_on(on) for obj in annotated)
        assert len(buckets) >= 3


def test_the_cutoff_of_29_february_is_28_february():
    assert stale_cutoff(datetime.date(2028, 2, 29)) == datetime.date(2026, 2, 28)


def test_status_reads_as_the_source_said_until_confirmed(monkeypatch):
    monkeypatch.setattr("interventions.models.today", lambda: datetime.date(2026, 12, 3))
    entry = InterventionFactory(status=Intervention.Status.RUNNING, period_start=2015)
    assert entry.status_as_stated == "I drift ifølge kilden (2016)"
    confirm(entry, datetime.date(2026, 11, 22))
    entry.refresh_from_db()
    assert entry.status_as_stated == "I drift, bekræftet 2026"


def test_a_running_entry_whose_period_ended_is_shown_as_unknown_and_listed(monkeypatch):
    monkeypatch.setattr("interventions.models.today", lambda: datetime.date(2026, 12, 3))
    ended = InterventionFactory(
        status=Intervention.Status.RUNNING, period_start=2015, period_end=2018
    )
    overdue = InterventionFactory(status=Intervention.Status.PLANNED, period_start=2021)
    assert ended.status_as_stated == "Ukendt — perioden sluttede 2018"
    check = Intervention.objects.needing_status_check()
    assert ended in check and overdue in check
    assert InterventionFactory(status=Intervention.Status.RUNNING) not in check


@pytest.mark.parametrize(
    "confirmed_on, message",
    [
        (datetime.date(2099, 1, 1), "kan ikke ligge i fremtiden"),
        (datetime.date(2015, 6, 1), "ligger før kilden blev udgivet"),
    ],
)
def test_an_impossible_confirmation_date_is_refused_in_danish(confirmed_on, message):
    entry = InterventionFactory()
    confirmation = Confirmation(
        intervention=entry,
        confirmed_on=confirmed_on,
        confirmed_by="Horsens Kommune",
        method="email",
    )
    with pytest.raises(ValidationError) as refused:
        confirmation.full_clean()
    assert message in " ".join(refused.value.message_dict["confirmed_on"])


def test_the_public_page_says_where_the_information_comes_from(client, monkeypatch):
    entry = InterventionFactory()
    html = client.get(entry.get_absolute_url()).content.decode()
    assert (
        "Oplysningerne stammer fra DASSOS&#x27; inspirationskatalog (januar 2016) og er ikke "
        "bekræftet siden. Kontakt indsatsens ejer, før du henviser." in html
    )
    assert "sidst bekræftet" not in html


def test_the_public_page_names_a_confirmation_and_says_when_it_is_old(client, monkeypatch):
    entry = InterventionFactory()
    confirm(entry, datetime.date(2026, 11, 22))
    monkeypatch.setattr("interventions.models.today", lambda: datetime.date(2027, 1, 1))
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "Oplysningerne er bekræftet af Horsens Kommune den 22. november 2026" in html
    assert "mere end to år gammel" not in html
    monkeypatch.setattr("interventions.models.today", lambda: datetime.date(2029, 1, 1))
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "Bekræftelsen er mere end to år gammel" in html


# --- History --------------------------------------------------------------------------------------


def test_history_page_lists_who_changed_what(client, editor):
    client.force_login(editor)
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    url = reverse("admin:interventions_intervention_change", args=[entry.pk])
    client.post(
        reverse("admin:interventions_intervention_changelist"),
        {"action": "mark_reviewed", "_selected_action": [entry.pk]},
    )
    history = client.get(reverse("admin:interventions_intervention_history", args=[entry.pk]))
    html = history.content.decode()
    assert "redaktor" in html and "Gennemgået mod kilden" in html
    assert "Indlæst fra fixtures" in html
    assert client.get(url).status_code == 200


def test_revert_restores_fields_and_vocabulary_links(client, editor):
    client.force_login(editor)
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    original = entry.history.earliest()
    groups_before = set(entry.target_groups.values_list("pk", flat=True))
    entry.summary = "Forkert resumé."
    entry._history_user = editor
    entry.save()
    entry.target_groups.set([TargetGroup.objects.get(slug="hjemloese")])
    revert_url = reverse(
        "admin:interventions_intervention_simple_history", args=[entry.pk, original.pk]
    )
    page = client.get(revert_url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.initial["target_groups"]) == groups_before
    data = {
        name: (form.initial.get(name) if form.initial.get(name) is not None else "")
        for name in form.fields
    }
    data["alternative_titles"] = ""  # a textarea of lines
    data["reviewed_on"] = original.reviewed_on.isoformat() if original.reviewed_on else ""
    data["is_published"] = "on"
    response = client.post(revert_url, data)
    assert response.status_code == 302, form.errors
    entry.refresh_from_db()
    assert entry.summary == original.summary
    assert set(entry.target_groups.values_list("pk", flat=True)) == groups_before
    assert entry.history.first().history_user == editor


def found_by_search(client, entry, query: str) -> bool:
    html = client.get(reverse("interventions:list"), {"q": query}).content.decode()
    return entry.get_absolute_url() in html


def test_a_title_restored_from_history_is_found_by_the_search(client, editor):
    """Reverting to an older version refreshes the search texts: the restored title is found."""
    client.force_login(editor)
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    change = reverse("admin:interventions_intervention_change", args=[entry.pk])
    for title in ("Zebrafinkeforløb i Horsens", entry.title):
        page = client.get(change)
        assert client.post(change, posted(page, title=title)).status_code == 302
    assert not found_by_search(client, entry, "zebrafinkeforløb")
    renamed = entry.history.filter(title="Zebrafinkeforløb i Horsens").get()

    revert = reverse("admin:interventions_intervention_simple_history", args=[entry.pk, renamed.pk])
    page = client.get(revert)
    assert client.post(revert, posted(page)).status_code == 302

    assert Intervention.objects.get(pk=entry.pk).title == "Zebrafinkeforløb i Horsens"
    assert found_by_search(client, entry, "zebrafinkeforløb")


def test_a_deleted_entry_restored_from_history_is_back_and_found(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("chef", "c@example.dk", "x-1"))
    entry = InterventionFactory(title="Snehvidetilbuddet")
    Intervention.objects.filter(pk=entry.pk).delete()
    record = entry.history.exclude(history_type="-").first()
    revert = reverse("admin:interventions_intervention_simple_history", args=[entry.pk, record.pk])
    page = client.get(revert)
    assert client.post(revert, posted(page)).status_code == 302
    assert Intervention.objects.get(pk=entry.pk).title == "Snehvidetilbuddet"
    assert found_by_search(client, entry, "snehvidetilbuddet")


# --- Search texts follow every change -------------------------------------------------------------


def test_a_saved_title_is_found_without_anything_else_refreshing_it(client):
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    entry.title = "Pulsfløjten"
    entry.save()
    assert found_by_search(client, entry, "pulsfløjten")


def test_a_method_linked_or_unlinked_changes_what_finds_the_entry(client):
    entry = InterventionFactory(summary="En indsats uden metode.")
    method = Method.objects.create(slug="kolibrimetoden", name="Kolibrimetoden")
    entry.methods.add(method)
    assert found_by_search(client, entry, "kolibrimetoden")
    entry.methods.remove(method)
    assert not found_by_search(client, entry, "kolibrimetoden")
    entry.methods.add(method)
    entry.methods.clear()
    assert not found_by_search(client, entry, "kolibrimetoden")


def test_a_legal_basis_added_or_removed_changes_the_search_texts():
    entry = InterventionFactory()
    paragraph = LegalParagraph.objects.get_by_label("SEL § 107")
    basis = LegalBasis.objects.create(intervention=entry, paragraph=paragraph)
    assert "sel 107" in Intervention.objects.get(pk=entry.pk).search_meta
    basis.delete()
    assert "sel 107" not in Intervention.objects.get(pk=entry.pk).search_meta


def test_contact_changes_are_recorded_with_the_editor():
    contact = ContactFactory()
    contact.phone = "76 29 00 00"
    contact.save()
    assert [r.history_type for r in contact.history.all()] == ["~", "+"]


# --- create_editor --------------------------------------------------------------------------------


@override_settings(ROOT_URLCONF="tests.curation.test_commands")  # the admin at /redaktion-x7/
def test_create_editor_makes_a_staff_member_of_the_editor_group(
    monkeypatch, django_user_model, capsys
):
    monkeypatch.setenv("EDITOR_PASSWORD", "en-lang-hemmelig-kode-42")
    call_command("create_editor", "anne", "Anne@Example.dk", password_from_env="EDITOR_PASSWORD")
    assert capsys.readouterr().out.endswith("log in at /redaktion-x7/.\n")
    user = django_user_model.objects.get(username="anne")
    assert user.is_staff and not user.is_superuser
    assert user.email == "anne@example.dk"
    assert user.check_password("en-lang-hemmelig-kode-42")
    assert user.has_perm("interventions.publish_intervention")
    assert user.has_perm("interventions.change_intervention")
    assert not user.has_perm("interventions.delete_intervention")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["redaktor", "ny@example.dk"], "en-lang-hemmelig-kode-42", "already exists"),
        (["ny", "ikke-en-email"], "en-lang-hemmelig-kode-42", "Not a valid email"),
        (["ny", "ny@example.dk"], "123", "password was rejected"),
        (["ny", "ny@example.dk"], "", "not set"),
    ],
)
def test_create_editor_refuses_with_a_clear_message(monkeypatch, editor, args, env, message):
    monkeypatch.setenv("EDITOR_PASSWORD", env)
    with pytest.raises(CommandError, match=message):
        call_command("create_editor", *args, password_from_env="EDITOR_PASSWORD")


def test_create_editor_asks_twice_for_the_password(monkeypatch, django_user_model):
    answers = iter(["en-lang-hemmelig-kode-42", "en-anden-kode-42"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="do not match"):
        call_command("create_editor", "ny", "ny@example.dk")
    assert not django_user_model.objects.filter(username="ny").exists()
