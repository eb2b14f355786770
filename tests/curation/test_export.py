"""export_catalogue writes the export format that the JSON API will share."""

import json

import pytest
from django.core.management import call_command

from interventions.models import Guidance, Intervention

pytestmark = pytest.mark.django_db

INTERVENTION_KEYS = {
    "slug",
    "title",
    "summary",
    "url",
    "source",
    "sector",
    "organisation",
    "municipalities",
    "regions",
    "target_groups",
    "policy_areas",
    "kkr_goals",
    "legal_paragraphs",
    "methods",
    "contacts",
    "budget_dkk",
    "period_start",
    "period_end",
    "status",
    "evaluation_level",
    "updated_at",
    "sections",
}


def test_export_has_every_published_entry_and_guidance_item(tmp_path):
    out = tmp_path / "catalogue.json"
    call_command("export_catalogue", output=out, base_url="https://indsatskataloget.dk")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["interventions"]) == Intervention.objects.published().count()
    assert len(data["guidance"]) == Guidance.objects.count()
    entry = next(e for e in data["interventions"] if e["slug"] == "biofeedback-horsens")
    assert set(entry) >= INTERVENTION_KEYS
    assert entry["url"] == "https://indsatskataloget.dk/indsatser/biofeedback-horsens/"
    assert set(entry["source"]) >= {"key", "title", "publisher", "year", "locator"}
    assert entry["municipalities"] == ["Horsens"]
    assert entry["kkr_goals"]
    guidance = data["guidance"][0]
    assert set(guidance) == {"source", "number", "group", "title", "text"}


def test_legal_paragraphs_are_exported_with_label_and_provenance(capsys):
    call_command("export_catalogue")
    data = json.loads(capsys.readouterr().out)
    paragraphs = [p for e in data["interventions"] for p in e["legal_paragraphs"]]
    assert paragraphs
    assert set(paragraphs[0]) >= {"label", "law", "number", "title", "stated_in_source"}
    assert all(p["label"].startswith(("SEL §", "ABL §", "RPL §")) for p in paragraphs)
