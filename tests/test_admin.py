"""The admin as the editors' tool: every model reachable, roles enforced, actions, validation."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from interventions.conflicts import EditStamp
from interventions.feedback.models import ConfirmationRequest
from interventions.models import (
    Confirmation,
    Contact,
    Intervention,
    LegalBasis,
    LegalParagraph,
    TargetGroup,
    today,
)
from tests.admin_forms import posted
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:interventions_intervention_changelist")


def change_url(obj) -> str:
    return reverse("admin:interventions_intervention_change", args=[obj.pk])


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("chef", "chef@example.dk", "hemmelig-123")
    client.force_login(user)
    return client


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
def reader(django_user_model):
    return user_in(django_user_model, "Læser", "laeser")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


def interventions_models():
    return [m for m in admin.site._registry if m._meta.app_label == "interventions"]


def form_data(obj: Intervention, **changes) -> dict:
    """The change form as the browser would post it for `obj`, with `changes` applied."""
    data = {
        "edit_stamp": str(EditStamp.of(Intervention.objects.get(pk=obj.pk))),
        "title": obj.title,
        "slug": obj.slug,
        "alternative_titles": "\n".join(obj.alternative_titles),
        "summary": obj.summary,
        "is_published": "on" if obj.is_published else "",
        "reviewed_on": obj.reviewed_on.isoformat() if obj.reviewed_on else "",
        "responsible_editor": "",
        "editorial_note": obj.editorial_note,
        "public_note": obj.public_note,
        "source": obj.source_id,
        "locator": obj.locator,
        "source_section": obj.source_section_id or "",
        "source_first_line": obj.source_first_line or "",
        "source_last_line": obj.source_last_line or "",
        "sector": obj.sector,
        "organisation": obj.organisation,
        "municipalities": [m.pk for m in obj.municipalities.all()],
        "regions": [r.pk for r in obj.regions.all()],
        "target_groups": [t.pk for t in obj.target_groups.all()],
        "policy_areas": [p.pk for p in obj.policy_areas.all()],
        "kkr_goals": [g.pk for g in obj.kkr_goals.all()],
        "methods": [m.pk for m in obj.methods.all()],
        "related": [r.pk for r in obj.related.all()],
        "period_start": obj.period_start or "",
        "period_end": obj.period_end or "",
        "status": obj.status,
        "budget_dkk": obj.budget_dkk if obj.budget_dkk is not None else "",
        "budget_note": obj.budget_note,
        "budget_kind": obj.budget_kind,
        "budget_first_year": obj.budget_first_year or "",
        "budget_last_year": obj.budget_last_year or "",
        "budget_price_year": obj.budget_price_year or "",
        "funding_source": obj.funding_source,
        "evaluation_level": obj.evaluation_level,
        "legal_bases-TOTAL_FORMS": "0",
        "legal_bases-INITIAL_FORMS": "0",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "confirmations-TOTAL_FORMS": "0",
        "confirmations-INITIAL_FORMS": "0",
        "served-TOTAL_FORMS": "0",
        "served-INITIAL_FORMS": "0",
    }
    for section in ("purpose", "background", "target_group_text", "activities"):
        data[section] = getattr(obj, section)
    for section in ("organisation_text", "outcomes", "resources", "collaboration"):
        data[section] = getattr(obj, section)
    data["evaluation"], data["materials"] = obj.evaluation, obj.materials
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def contact_form_data(obj: Intervention, email: str, phone: str) -> dict:
    """The change form with the entry's first contact given `email` and `phone`."""
    contact = obj.contacts.first()
    return form_data(
        obj,
        **{
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "1",
            "contacts-0-id": contact.pk,
            "contacts-0-intervention": obj.pk,
            "contacts-0-name": contact.name,
            "contacts-0-email": email,
            "contacts-0-phone": phone,
            "contacts-0-kind": contact.kind,
            "contacts-0-order": "0",
        },
    )


# --- Every model ----------------------------------------------------------------------------------


def test_every_model_is_registered_or_edited_inline():
    from django.apps import apps

    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    models = {
        m
        for m in apps.get_app_config("interventions").get_models()
        if not m.__name__.startswith("Historical")  # shown through their model's history page
        # derived from the entries' texts, never edited
        and m.__name__ not in ("SearchWord", "SearchEntry", "SearchEntryText")
    }
    assert models == set(interventions_models()) | inline_models


@pytest.mark.parametrize("model", interventions_models(), ids=lambda m: m.__name__)
def test_changelist_search_and_change_pages_answer(superuser_client, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.get(changelist, {"q": "aarhus"}).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert superuser_client.get(change).status_code == 200


def test_intervention_list_shows_owner_source_status_freshness_and_facet_counts(editor_client):
    response = editor_client.get(
        CHANGELIST, {"source__id__exact": Intervention.objects.first().source_id}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for column in ("Organisation", "Kildedokument", "Status", "Aktualitet", "Offentliggjort"):
        assert column.lower() in html.lower()
    # Facet counts beside the filters: the 63 DEFACTUM entries (2025) are from a recent source,
    # the other 123 are older and were never confirmed.
    html = editor_client.get(CHANGELIST).content.decode()
    assert "Kilden er under 2 år gammel, ikke bekræftet siden (63)" in html
    assert "Ældre oplysninger, aldrig bekræftet (123)" in html


def test_freshness_filter_separates_confirmed_and_old_entries(editor_client):
    confirmed = InterventionFactory(title="Bekræftet indsats")
    confirm(confirmed, today())
    long_ago = InterventionFactory(title="Længe siden")
    confirm(long_ago, datetime.date(2020, 1, 1))
    response = editor_client.get(CHANGELIST, {"aktualitet": "confirmed"})
    assert list(response.context["cl"].result_list) == [confirmed]
    response = editor_client.get(CHANGELIST, {"aktualitet": "confirmed_long_ago"})
    assert list(response.context["cl"].result_list) == [long_ago]
    response = editor_client.get(CHANGELIST, {"aktualitet": "never_confirmed"})
    assert confirmed not in response.context["cl"].result_list
    assert response.context["cl"].result_count == 123


def test_the_status_check_filter_lists_entries_whose_status_cannot_be_true(editor_client):
    response = editor_client.get(CHANGELIST, {"status_tjek": "yes"})
    listed = {i.slug for i in response.context["cl"].result_list}
    assert {"breddeidraetsprojektet-kom-igen-aarhus", "fact-skive"} <= listed
    assert listed == set(Intervention.objects.needing_status_check().values_list("slug", flat=True))


def test_an_editor_records_a_confirmation_inline_and_is_named_as_its_recorder(
    editor_client, editor
):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    data = form_data(
        obj,
        **{
            "confirmations-TOTAL_FORMS": "1",
            "confirmations-0-confirmed_on": "2026-11-30",
            "confirmations-0-confirmed_by": "Horsens Kommune, Socialafdelingen",
            "confirmations-0-method": "telephone",
            "confirmations-0-note": "Bekræftet af lederen.",
        },
    )
    response = editor_client.post(change_url(obj), data)
    assert response.status_code == 302
    confirmation = obj.confirmations.get()
    assert confirmation.recorded_by == editor
    obj.refresh_from_db()
    assert obj.last_confirmed_on == datetime.date(2026, 11, 30)


def test_a_confirmation_in_the_future_is_refused_in_danish_and_nothing_is_saved(editor_client):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    data = form_data(
        obj,
        title="Ændret titel",
        **{
            "confirmations-TOTAL_FORMS": "1",
            "confirmations-0-confirmed_on": "2099-01-01",
            "confirmations-0-confirmed_by": "Horsens Kommune",
            "confirmations-0-method": "email",
        },
    )
    response = editor_client.post(change_url(obj), data)
    assert response.status_code == 200
    assert "En bekræftelse kan ikke ligge i fremtiden." in response.content.decode()
    assert not obj.confirmations.exists()
    assert Intervention.objects.get(pk=obj.pk).title == obj.title


def test_admin_search_finds_an_entry_by_title_and_contact(editor_client):
    response = editor_client.get(CHANGELIST, {"q": "Biofeedback"})
    assert "biofeedback-horsens" in {i.slug for i in response.context["cl"].result_list}
    response = editor_client.get(CHANGELIST, {"q": "Jesper Ingberg"})
    assert [i.slug for i in response.context["cl"].result_list] == ["biofeedback-horsens"]


def test_every_vocabulary_on_the_entry_form_is_an_autocomplete(editor_client):
    model_admin = admin.site._registry[Intervention]
    assert set(model_admin.autocomplete_fields) >= {
        "municipalities",
        "regions",
        "target_groups",
        "policy_areas",
        "kkr_goals",
        "methods",
        "related",
        "source",
        "source_section",
    }
    url = reverse("admin:autocomplete")
    response = editor_client.get(
        url,
        {
            "term": "autis",
            "app_label": "interventions",
            "model_name": "intervention",
            "field_name": "target_groups",
        },
    )
    assert response.status_code == 200
    assert any(r["text"] == "Voksne med autisme" for r in response.json()["results"])


def test_view_on_site_links_to_the_public_page(editor_client):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    html = editor_client.get(change_url(obj)).content.decode()
    assert "/r/" in html  # Django's "view on site" redirect
    assert obj.get_absolute_url() == "/indsatser/biofeedback-horsens/"


# --- Roles ----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client):
    obj = Intervention.objects.first()
    for url in (CHANGELIST, change_url(obj), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(change_url(obj), {"title": "Hacket"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Intervention.objects.get(pk=obj.pk).title == obj.title


def test_a_reader_can_look_but_not_change_add_delete_or_act(reader_client):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    assert reader_client.get(CHANGELIST).status_code == 200
    page = reader_client.get(change_url(obj))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert reader_client.get(reverse("admin:interventions_intervention_add")).status_code == 403
    delete = reverse("admin:interventions_intervention_delete", args=[obj.pk])
    assert reader_client.get(delete).status_code == 403
    response = reader_client.post(change_url(obj), form_data(obj, title="Ændret af læser"))
    assert response.status_code == 403
    request = reader_client.get(CHANGELIST).wsgi_request
    actions = admin.site._registry[Intervention].get_actions(request)
    assert not {"publish", "unpublish", "mark_reviewed"} & set(actions)
    response = reader_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [obj.pk]})
    assert Intervention.objects.get(pk=obj.pk).is_published
    assert (
        reader_client.get(
            reverse("admin:interventions_intervention_history", args=[obj.pk])
        ).status_code
        == 200
    )
    vocab = reverse("admin:interventions_targetgroup_change", args=[TargetGroup.objects.first().pk])
    assert 'name="_save"' not in reader_client.get(vocab).content.decode()


def history_admin_models() -> list:
    return sorted(
        (m for m, a in admin.site._registry.items() if isinstance(a, SimpleHistoryAdmin)),
        key=lambda m: m.__name__,
    )


def rewrite_target(model):
    """The row a reader tries to rewrite through `model`'s history, and the change tried."""
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    if model is Intervention:
        return entry, {"title": "Overtaget af en læser"}
    if model is Contact:
        return entry.contacts.first(), {"email": "attacker@evil.example"}
    if model is Confirmation:
        return confirm(entry, datetime.date(2026, 11, 30)), {"confirmed_by": "En læser"}
    if model is LegalBasis:
        basis = LegalBasis.objects.filter(stated_in_source=True).first()
        return basis, {"stated_in_source": None}  # untick: "assigned by an editor"
    if model is ConfirmationRequest:
        request = ConfirmationRequest.objects.create(
            intervention=entry,
            recipient_email="ejer@example.dk",
            expires_at=timezone.now() + datetime.timedelta(days=30),
        )
        return request, {"answered_by": "En læser"}
    raise AssertionError(f"say what a reader would try to change through {model.__name__}")


@pytest.mark.parametrize("model", history_admin_models(), ids=lambda m: m.__name__)
def test_a_reader_cannot_rewrite_anything_through_a_history_version_form(
    client, reader_client, model
):
    """A Læser may look at an old version, but posting its form is refused and changes nothing.

    Every admin with a history (entries, contacts, legal basis) is covered: hiding the revert
    button is not enough, the POST itself needs the change permission.
    """
    obj, changes = rewrite_target(model)
    before = model_to_dict(obj)
    records = obj.history.count()
    opts = model._meta
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[obj.pk, obj.history.first().pk],
    )
    page = reader_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    response = reader_client.post(url, posted(page, **changes))

    assert response.status_code == 403
    assert model_to_dict(model.objects.get(pk=obj.pk)) == before
    assert obj.history.count() == records
    entry = obj if model is Intervention else obj.intervention
    public = client.get(entry.get_absolute_url()).content.decode()
    for value in changes.values():
        assert value is None or value not in public


def test_an_editor_can_edit_and_the_history_names_them(editor_client, editor):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    response = editor_client.post(change_url(obj), form_data(obj, summary="Et nyt resumé."))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Intervention.objects.get(pk=obj.pk).summary == "Et nyt resumé."
    record = obj.history.first()
    assert record.history_user == editor
    assert record.summary == "Et nyt resumé."


def test_an_editor_publishes_and_unpublishes_with_actions(editor_client, editor):
    draft = InterventionFactory(is_published=False)
    editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_published
    assert draft.history.first().history_user == editor
    editor_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_published


def test_marking_as_reviewed_sets_todays_date_and_confirms_nothing(editor_client):
    old = InterventionFactory(reviewed_on=datetime.date(2020, 1, 1))
    editor_client.post(CHANGELIST, {"action": "mark_reviewed", "_selected_action": [old.pk]})
    old.refresh_from_db()
    assert old.reviewed_on == today()
    assert not old.is_confirmed and old.is_stale


def test_editors_cannot_delete_entries_or_vocabulary(editor_client):
    obj = Intervention.objects.first()
    delete = reverse("admin:interventions_intervention_delete", args=[obj.pk])
    assert editor_client.get(delete).status_code == 403
    group = TargetGroup.objects.first()
    delete = reverse("admin:interventions_targetgroup_delete", args=[group.pk])
    assert editor_client.get(delete).status_code == 403


def test_a_user_without_publish_permission_cannot_publish_through_the_form(
    client, django_user_model
):
    user = user_in(django_user_model, "Redaktør", "praktikant")
    group = Group.objects.create(name="Uden offentliggørelse")
    group.permissions.set(
        Group.objects.get(name="Redaktør").permissions.exclude(codename="publish_intervention")
    )
    user.groups.set([group])
    client.force_login(user)
    draft = InterventionFactory(is_published=False)
    client.post(change_url(draft), form_data(draft, is_published="on"))
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_published


# --- Validation messages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"period_start": "2024", "period_end": "2020"}, "period_end", "ligger før startåret"),
        ({"period_start": "1850"}, "period_start", "ikke et plausibelt årstal"),
        ({"period_start": "to tusind"}, "period_start", "Skriv et årstal"),
        ({"budget_dkk": "780.000 kr.", "budget_note": ""}, "budget_note", "hvad beløbet dækker"),
        ({"budget_dkk": "7,5 mio"}, "budget_dkk", "hele kroner"),
        ({"title": "Afklaringspladser", "organisation": "Aarhus Kommune"}, "title", "allerede"),
    ],
)
def test_the_entry_form_explains_bad_input_in_danish(editor_client, changes, field, message):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    response = editor_client.post(change_url(obj), form_data(obj, **changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors


def test_danish_amounts_are_understood(editor_client):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    response = editor_client.post(
        change_url(obj),
        form_data(
            obj, budget_dkk="1.250.000 kr.", budget_note="Samlet budget", budget_kind="period_total"
        ),
    )
    assert response.status_code == 302
    assert Intervention.objects.get(pk=obj.pk).budget_dkk == 1_250_000


@pytest.mark.parametrize(
    ("email", "phone", "message"),
    [
        ("ikke-en-adresse", "", "gyldig e-mail"),  # Django: "e-mail-adresse", DRF: "e-mailadresse"
        ("", "12 34", "ikke et dansk telefonnummer"),
        ("", "+46 70 123 45 67", "ikke et dansk telefonnummer"),
    ],
)
def test_contact_email_and_phone_are_checked(editor_client, email, phone, message):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    data = contact_form_data(obj, email=email, phone=phone)
    response = editor_client.post(change_url(obj), data)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("phone", ["76 29 00 00", "76290000", "7629 0000", "+45 76 29 00 00"])
def test_danish_phone_numbers_are_accepted_and_emails_lower_cased(editor_client, phone):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    contact = obj.contacts.first()
    data = contact_form_data(obj, email="Jil@Horsens.dk", phone=phone)
    assert editor_client.post(change_url(obj), data).status_code == 302
    contact.refresh_from_db()
    assert (contact.email, contact.phone) == ("jil@horsens.dk", phone)
    assert contact.history.first().history_user.username == "redaktor"


def test_paragraph_numbers_are_checked(superuser_client):
    paragraph = LegalParagraph.objects.get_by_label("SEL § 85")
    url = reverse("admin:interventions_legalparagraph_change", args=[paragraph.pk])
    response = superuser_client.post(
        url, {"law": paragraph.law_id, "number": "§85", "title": paragraph.title, "url": ""}
    )
    assert response.status_code == 200
    assert "ikke et paragrafnummer" in response.content.decode()


def test_contacts_have_their_own_history_page(editor_client):
    contact = Contact.objects.first()
    url = reverse("admin:interventions_contact_history", args=[contact.pk])
    assert editor_client.get(url).status_code == 200


def test_alternative_titles_are_edited_as_lines_not_as_json(editor_client):
    obj = Intervention.objects.get(slug="biofeedback-horsens")
    obj.alternative_titles = ["Biofeedback i Horsens", "Pulsmåling"]
    obj.save()
    page = editor_client.get(change_url(obj)).content.decode()
    assert "Biofeedback i Horsens\nPulsmåling</textarea>" in page
    assert "[&quot;Biofeedback" not in page  # no JSON for the editor to keep intact
    data = form_data(obj, alternative_titles="Ny titel\n\n  Anden titel  \n")
    assert editor_client.post(change_url(obj), data).status_code == 302
    obj.refresh_from_db()
    assert obj.alternative_titles == ["Ny titel", "Anden titel"]
    data = form_data(obj, alternative_titles="")
    assert editor_client.post(change_url(obj), data).status_code == 302
    obj.refresh_from_db()
    assert obj.alternative_titles == []
