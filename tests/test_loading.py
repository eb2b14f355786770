"""Loading the curated fixtures: all or nothing, idempotent, with precise error messages."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from interventions.loading import CatalogueInvalid, load, read_fixtures, validate
from interventions.models import Contact, Guidance, Intervention, LegalBasis, SourceSection

pytestmark = pytest.mark.django_db

FIRST_ENTRY_FILE = "sources/000-dassos-2015-a.yaml"


def snapshot() -> dict:
    """Everything a load could change, to prove a failed load changed nothing."""
    return {
        "interventions": sorted(
            Intervention.objects.values_list("slug", "fixture_checksum", "updated_at", "title")
        ),
        "contacts": sorted(Contact.objects.values_list("intervention__slug", "name", "email")),
        "legal": sorted(
            LegalBasis.objects.values_list(
                "intervention__slug", "paragraph__slug", "stated_in_source"
            )
        ),
        "guidance": sorted(Guidance.objects.values_list("source__key", "number", "title")),
        "sections": sorted(SourceSection.objects.values_list("code", "name")),
    }


@pytest.fixture
def fixtures_copy(tmp_path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, target)
    return target


def edit_first_entry(fixtures_dir: Path, change) -> None:
    path = fixtures_dir / FIRST_ENTRY_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["interventions"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def load_problems(fixtures_dir: Path) -> list:
    fixtures, problems = read_fixtures(fixtures_dir)
    return problems or validate(fixtures, settings.SEEDS_DIR)


def test_the_curated_fixtures_are_valid(curated_fixtures):
    assert validate(curated_fixtures, settings.SEEDS_DIR) == []


def test_loading_twice_changes_nothing(curated_fixtures):
    before = snapshot()
    report = load(curated_fixtures, settings.SEEDS_DIR)
    assert report.created == report.updated == 0
    assert report.unchanged == len(curated_fixtures.interventions())
    assert snapshot() == before


def test_a_changed_entry_is_updated_and_others_are_left_alone(fixtures_copy):
    edit_first_entry(fixtures_copy, lambda e: e.update(summary="Et nyt resumé."))
    before = Intervention.objects.exclude(slug="biofeedback-horsens").values_list(
        "slug", "updated_at"
    )
    before = dict(before)
    fixtures, _ = read_fixtures(fixtures_copy)
    report = load(fixtures, settings.SEEDS_DIR)
    assert report.updated == 1
    assert Intervention.objects.get(slug="biofeedback-horsens").summary == "Et nyt resumé."
    after = dict(
        Intervention.objects.exclude(slug="biofeedback-horsens").values_list("slug", "updated_at")
    )
    assert after == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda e: e["contacts"].append({"name": "X", "email": "ikke-en-email"}),
            "contacts[",
            "valid email address",
        ),
        (lambda e: e.update(municipalities=["Atlantis"]), "municipalities", "unknown municipality"),
        (lambda e: e.update(slug="cafe-tumling-aarhus"), "slug", "duplicate slug"),
        (lambda e: e.update(period_start=2020, period_end=2010), "period_end", "before it starts"),
        (lambda e: e.update(budget_dkk=-5), "budget_dkk", "non-negative"),
        (lambda e: e.update(target_groups=[]), "target_groups", "required"),
        (
            lambda e: e.update(legal_basis=[{"paragraph": "SEL § 999"}]),
            "legal_basis",
            "unknown legal paragraph",
        ),
        (lambda e: e["sections"].update(purpose="særli- ge"), "sections.purpose", "PDF debris"),
        (lambda e: e.update(colour="blå"), "colour", "unknown field"),
    ],
)
def test_a_broken_entry_is_named_and_nothing_is_written(fixtures_copy, change, field, message):
    edit_first_entry(fixtures_copy, change)
    before = snapshot()
    problems = load_problems(fixtures_copy)
    assert any(
        p.file.startswith("sources/000-dassos-2015") and field in p.field and message in p.message
        for p in problems
    ), problems
    with pytest.raises(CommandError):
        call_command("load_catalogue", fixtures=fixtures_copy)
    assert snapshot() == before


def test_malformed_yaml_names_the_file_and_line(fixtures_copy):
    (fixtures_copy / "sources" / "zz-broken.yaml").write_text(
        "source: dassos-2015\ninterventions: [\n  - a: b\n", encoding="utf-8"
    )
    before = snapshot()
    fixtures, problems = read_fixtures(fixtures_copy)
    assert len(problems) == 1
    assert problems[0].file == "sources/zz-broken.yaml"
    assert "malformed YAML at line" in problems[0].message
    with pytest.raises(CommandError, match="database was not changed"):
        call_command("load_catalogue", fixtures=fixtures_copy)
    assert snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(fixtures_copy, monkeypatch):
    edit_first_entry(fixtures_copy, lambda e: e.update(title="Ændret titel"))
    fixtures, _ = read_fixtures(fixtures_copy)
    before = snapshot()

    def explode(*args, **kwargs):
        raise RuntimeError("the disk is full")

    # The last step of a load: everything before it must be rolled back.
    monkeypatch.setattr("interventions.loading._store_loaded_checksums", explode)
    with pytest.raises(RuntimeError):
        load(fixtures, settings.SEEDS_DIR)
    assert snapshot() == before


def test_validate_command_reports_without_writing(fixtures_copy, capsys):
    edit_first_entry(fixtures_copy, lambda e: e.update(sector="privat"))
    before = snapshot()
    with pytest.raises(CommandError):
        call_command("validate_catalogue", fixtures=fixtures_copy)
    assert "biofeedback-horsens · sector" in capsys.readouterr().err
    assert snapshot() == before


def test_validate_command_counts_entries_per_source(capsys):
    call_command("validate_catalogue")
    out = capsys.readouterr().out
    assert "dassos-2015: 25 interventions" in out


def test_catalogue_invalid_lists_every_problem(fixtures_copy):
    edit_first_entry(fixtures_copy, lambda e: e.update(sector="privat", status="måske"))
    fixtures, _ = read_fixtures(fixtures_copy)
    with pytest.raises(CatalogueInvalid) as excinfo:
        load(fixtures)
    fields = {p.field for p in excinfo.value.problems}
    assert {"sector", "status"} <= fields
