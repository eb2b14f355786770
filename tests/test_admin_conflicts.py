"""Two editors on one entry: a form opened before someone else's save cannot overwrite it.

Every change to an entry raises its edit version: its own fields, its contacts and legal basis,
its links to vocabularies and related entries. The admin form carries the version it was opened
at; a save from an older version is refused with the name of whoever saved in between, when, and
what they changed, and nothing of the refused save is written.
"""

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interventions import conflicts
from interventions.conflicts import EditStamp
from interventions.curation.entry import checksum, entry_from_db
from interventions.models import (
    Contact,
    Intervention,
    LegalBasis,
    LegalParagraph,
    Method,
    Region,
    TargetGroup,
)
from tests.admin_forms import posted
from tests.factories import ContactFactory, InterventionFactory

pytestmark = pytest.mark.django_db

SLUG = "biofeedback-horsens"
REFUSED = "mens du redigerede. Dine ændringer er ikke gemt"


def change_url(entry) -> str:
    return reverse("admin:interventions_intervention_change", args=[entry.pk])


def editor_session(django_user_model, username: str, first_name: str, last_name: str) -> Client:
    user = django_user_model.objects.create_user(
        username,
        f"{username}@example.dk",
        "hemmelig-kode-123",
        is_staff=True,
        first_name=first_name,
        last_name=last_name,
    )
    user.groups.add(Group.objects.get(name="Redaktør"))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def anne(django_user_model) -> Client:
    return editor_session(django_user_model, "anne", "Anne", "Holm")


@pytest.fixture
def bo(django_user_model) -> Client:
    return editor_session(django_user_model, "bo", "Bo", "Berg")


@pytest.fixture
def entry() -> Intervention:
    return Intervention.objects.get(slug=SLUG)


def open_form(client, url: str):
    page = client.get(url)
    assert page.status_code == 200
    return page


def saved(client, url: str, data: dict) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "/login/" not in response["Location"]


def snapshot(entry) -> dict:
    """Everything of the entry an editor can change in its form."""
    fresh = Intervention.objects.with_relations().get(pk=entry.pk)
    return {
        "content": entry_from_db(fresh),
        "contacts": list(Contact.objects.filter(intervention=entry).values()),
        "editorial_note": fresh.editorial_note,
        "related": sorted(fresh.related.values_list("pk", flat=True)),
    }


def latest_time(client) -> str:
    record = Intervention.history.filter(history_user=client.user).latest("history_date")
    return timezone.localtime(record.history_date).strftime("%H:%M")


# --- Two sessions ---------------------------------------------------------------------------------


def test_the_second_of_two_saves_is_refused_with_who_when_and_what_changed(anne, bo, entry):
    url = change_url(entry)
    page_anne, page_bo = open_form(anne, url), open_form(bo, url)
    saved(anne, url, posted(page_anne, summary="Annes nye resumé."))
    after_anne = snapshot(entry)

    response = bo.post(url, posted(page_bo, title="Bos nye titel", summary="Bos resumé."))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Indsatsen er ændret af Anne Holm kl. {latest_time(anne)}, {REFUSED}" in html
    assert snapshot(entry) == after_anne
    assert not entry.history.filter(history_user=bo.user).exists()
    # What Anne changed is shown, before and after; what Bo typed is still in the form.
    changes = response.context["adminform"].form.edit_conflict.changes
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("Resumé", entry.summary, "Annes nye resumé.")
    ]
    assert "Annes nye resumé." in html and 'value="Bos nye titel"' in html
    assert reverse("admin:interventions_intervention_history", args=[entry.pk]) in html


def test_sending_the_refused_form_again_is_refused_again(anne, bo, entry):
    url = change_url(entry)
    page_anne, page_bo = open_form(anne, url), open_form(bo, url)
    saved(anne, url, posted(page_anne, summary="Annes nye resumé."))
    refused = bo.post(url, posted(page_bo, summary="Bos resumé."))
    assert REFUSED in bo.post(url, posted(refused, summary="Bos resumé.")).content.decode()
    # Opened afresh, Bo's form saves.
    saved(bo, url, posted(open_form(bo, url), summary="Bos resumé."))
    assert Intervention.objects.get(pk=entry.pk).summary == "Bos resumé."


def test_a_contact_changed_alone_in_the_form_conflicts(anne, bo, entry):
    url = change_url(entry)
    page_anne, page_bo = open_form(anne, url), open_form(bo, url)
    contact = entry.contacts.first()
    saved(anne, url, posted(page_anne, **{"contacts-0-phone": "76 29 00 00"}))
    after_anne = snapshot(entry)

    response = bo.post(
        url, posted(page_bo, summary="Bos resumé.", **{"contacts-0-email": "bo@example.dk"})
    )

    assert REFUSED in response.content.decode()
    assert snapshot(entry) == after_anne
    changes = response.context["adminform"].form.edit_conflict.changes
    assert [c.label for c in changes] == [f"Kontaktperson: {contact.name}"]
    assert "76 29 00 00" in changes[0].after and "76 29 00 00" not in changes[0].before


def test_a_target_group_changed_alone_in_the_form_conflicts(anne, bo, entry):
    url = change_url(entry)
    page_anne, page_bo = open_form(anne, url), open_form(bo, url)
    homeless = TargetGroup.objects.get(slug="hjemloese")
    groups = [*entry.target_groups.values_list("pk", flat=True), homeless.pk]
    saved(anne, url, posted(page_anne, target_groups=groups))
    after_anne = snapshot(entry)

    response = bo.post(url, posted(page_bo, regions=[Region.objects.first().pk]))

    assert REFUSED in response.content.decode()
    assert snapshot(entry) == after_anne
    [change] = response.context["adminform"].form.edit_conflict.changes
    assert change.label == "Målgrupper" and homeless.name in change.after
    assert homeless.name not in change.before


def test_a_refused_save_writes_none_of_its_contacts_legal_basis_or_links(anne, bo, entry):
    url = change_url(entry)
    page_anne, page_bo = open_form(anne, url), open_form(bo, url)
    saved(anne, url, posted(page_anne, editorial_note="Annes note."))
    after_anne = snapshot(entry)
    bases = list(LegalBasis.objects.filter(intervention=entry).values())
    other = InterventionFactory()
    paragraph = LegalParagraph.objects.get_by_label("SEL § 107")

    response = bo.post(
        url,
        posted(
            page_bo,
            title="Bos titel",
            related=[other.pk],
            methods=[Method.objects.first().pk],
            **{
                "contacts-0-name": "Bos kontakt",
                "contacts-0-DELETE": "on",
                "legal_bases-TOTAL_FORMS": str(len(bases) + 1),
                f"legal_bases-{len(bases)}-paragraph": paragraph.pk,
                f"legal_bases-{len(bases)}-stated_in_source": "on",
                f"legal_bases-{len(bases)}-intervention": entry.pk,
            },
        ),
    )

    assert REFUSED in response.content.decode()
    assert snapshot(entry) == after_anne
    assert list(LegalBasis.objects.filter(intervention=entry).values()) == bases
    assert not other.related.exists()


def test_a_contact_changed_on_its_own_page_conflicts(anne, bo, entry):
    url = change_url(entry)
    page_bo = open_form(bo, url)
    contact = entry.contacts.first()
    contact_url = reverse("admin:interventions_contact_change", args=[contact.pk])
    saved(anne, contact_url, posted(open_form(anne, contact_url), phone="76 29 00 00"))

    response = bo.post(url, posted(page_bo, summary="Bos resumé."))

    html = response.content.decode()
    record = Contact.history.filter(history_user=anne.user).latest("history_date")
    at = timezone.localtime(record.history_date).strftime("%H:%M")
    assert f"Indsatsen er ændret af Anne Holm kl. {at}, {REFUSED}" in html
    assert Intervention.objects.get(pk=entry.pk).summary == entry.summary


def test_a_revert_from_history_conflicts_with_a_save_made_after_it_was_opened(anne, bo, entry):
    """Restoring an old version is an edit too: it must not undo a save it never saw."""
    entry.summary = "Et ældre resumé."
    entry.save()
    older = entry.history.first()
    revert = reverse("admin:interventions_intervention_simple_history", args=[entry.pk, older.pk])
    entry.summary = "Resuméet som det er nu."
    entry.save()
    page_bo = open_form(bo, revert)
    url = change_url(entry)
    saved(anne, url, posted(open_form(anne, url), title="Annes titel"))

    response = bo.post(revert, posted(page_bo))

    assert response.status_code == 200
    assert f"Indsatsen er ændret af Anne Holm kl. {latest_time(anne)}, {REFUSED}" in (
        response.content.decode()
    )
    now = Intervention.objects.get(pk=entry.pk)
    assert (now.title, now.summary) == ("Annes titel", "Resuméet som det er nu.")


@pytest.mark.skipif(
    not connection.features.has_select_for_update,
    reason="row locks are PostgreSQL's; SQLite lets one writer at a time in anyway",
)
def test_a_save_that_passed_the_check_keeps_other_writers_of_the_entry_waiting(entry):
    """The version is read with a row lock held to the end of the save's transaction."""
    assert conflicts.check(entry.pk, EditStamp.of(entry)) is None  # in the test's transaction
    failures = []

    def other_writer() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                cursor.execute(
                    "UPDATE interventions_intervention SET edit_version = edit_version + 1 "
                    "WHERE id = %s",
                    [entry.pk],
                )
                transaction.set_rollback(True)
        except OperationalError as exc:
            failures.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    writer.join()
    assert len(failures) == 1 and "lock timeout" in str(failures[0])


# --- One session ----------------------------------------------------------------------------------


def test_a_form_sent_back_for_a_typo_saves_once_corrected(bo, entry):
    url = change_url(entry)
    page = open_form(bo, url)
    wrong = bo.post(url, posted(page, period_start="to tusind"))
    assert wrong.status_code == 200 and REFUSED not in wrong.content.decode()
    saved(bo, url, posted(wrong, period_start="2021"))
    assert Intervention.objects.get(pk=entry.pk).period_start == 2021


def test_saving_twice_from_freshly_opened_forms_works(bo, entry):
    url = change_url(entry)
    saved(bo, url, posted(open_form(bo, url), summary="Første."))
    saved(bo, url, posted(open_form(bo, url), summary="Anden."))
    assert Intervention.objects.get(pk=entry.pk).summary == "Anden."


def test_a_form_without_its_version_is_refused_with_a_message(bo, entry):
    url = change_url(entry)
    response = bo.post(url, posted(open_form(bo, url), summary="Uden version.", edit_stamp=None))
    assert response.status_code == 200
    assert "Åbn indsatsen igen" in response.content.decode()
    assert Intervention.objects.get(pk=entry.pk).summary == entry.summary


# --- The version ----------------------------------------------------------------------------------


def version(entry) -> int:
    return Intervention.objects.get(pk=entry.pk).edit_version


def test_every_kind_of_change_raises_the_version_once_per_change():
    entry = InterventionFactory()
    other = InterventionFactory()
    group = TargetGroup.objects.get(slug="hjemloese")
    paragraph = LegalParagraph.objects.get_by_label("SEL § 85")
    start = version(entry)

    def raised(change) -> bool:
        before = version(entry)
        change()
        return version(entry) > before

    entry.title = "Ny titel"
    assert raised(entry.save)
    assert entry.edit_version == version(entry)  # read back after the save
    assert raised(lambda: entry.save(update_fields=["is_published"]))
    contact = ContactFactory(intervention=entry)
    assert version(entry) > start
    contact.phone = "76 29 00 00"
    assert raised(contact.save)
    assert raised(contact.delete)
    basis = LegalBasis(intervention=entry, paragraph=paragraph)
    assert raised(basis.save)
    assert raised(basis.delete)
    assert raised(lambda: entry.legal_paragraphs.add(paragraph))
    assert raised(lambda: entry.legal_paragraphs.clear())
    assert raised(lambda: paragraph.interventions.add(entry))  # from the paragraph's side
    assert raised(lambda: paragraph.interventions.clear())
    assert raised(lambda: entry.target_groups.remove(group))
    assert raised(lambda: entry.target_groups.add(group))
    assert raised(lambda: entry.target_groups.clear())
    assert raised(lambda: other.related.add(entry))  # related links are mutual
    assert raised(lambda: other.related.clear())


def test_a_save_that_changes_nothing_is_no_edit_to_the_loader(bo, entry):
    """The version is bookkeeping: it is not content, not in the fixtures or their checksums."""
    assert checksum(entry_from_db(entry)) == entry.loaded_checksum
    url = change_url(entry)
    saved(bo, url, posted(open_form(bo, url)))
    fresh = Intervention.objects.with_relations().get(pk=entry.pk)
    assert fresh.edit_version > entry.edit_version
    assert checksum(entry_from_db(fresh)) == fresh.loaded_checksum
