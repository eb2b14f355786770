"""Every model is in the admin, and its list, search, filters and change pages work."""

import pytest
from django.contrib import admin
from django.urls import reverse

from interventions.models import Intervention

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        "redaktor", "redaktor@example.dk", "hemmelig-kode-123"
    )
    client.force_login(user)
    return client


def interventions_models():
    return [m for m in admin.site._registry if m._meta.app_label == "interventions"]


def test_every_model_is_registered_or_edited_inline():
    from django.apps import apps

    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    models = set(apps.get_app_config("interventions").get_models())
    assert models == set(interventions_models()) | inline_models


@pytest.mark.parametrize("model", interventions_models(), ids=lambda m: m.__name__)
def test_changelist_search_and_change_pages_answer(editor_client, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert editor_client.get(changelist).status_code == 200
    assert editor_client.get(changelist, {"q": "aarhus"}).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert editor_client.get(change).status_code == 200


def test_intervention_admin_filters_by_source_and_target_group(editor_client):
    url = reverse("admin:interventions_intervention_changelist")
    response = editor_client.get(url, {"source__id__exact": Intervention.objects.first().source_id})
    assert response.status_code == 200


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:interventions_intervention_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
