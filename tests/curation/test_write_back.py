"""Write-back: export into the curated files, the overwrite guard, and intake drafts exported."""

import filecmp
import shutil
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from interventions.curation.entry import checksum, entry_from_db
from interventions.curation.intake import load_intake
from interventions.curation.load import load
from interventions.curation.problems import EditedEntries
from interventions.curation.read import read_fixtures
from interventions.curation.write_back import export_fixtures
from interventions.models import Contact, Intervention, TargetGroup

pytestmark = pytest.mark.django_db

INTAKE_EXAMPLE = settings.FIXTURES_DIR / "intake" / "EKSEMPEL.yaml"


@pytest.fixture
def fixtures_copy(tmp_path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, target)
    return target


def differing_files(a: Path, b: Path) -> list[str]:
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.yaml"))
    names += sorted(
        p.relative_to(b).as_posix()
        for p in b.rglob("*.yaml")
        if not (a / p.relative_to(b)).exists()
    )
    return [
        n for n in names if not (b / n).exists() or not filecmp.cmp(a / n, b / n, shallow=False)
    ]


def database_content() -> dict:
    return {obj.slug: checksum(entry_from_db(obj)) for obj in Intervention.objects.with_relations()}


def edit_fixture_entry(fixtures_dir: Path, slug: str, **changes) -> None:
    for path in (fixtures_dir / "sources").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        for entry in data.get("interventions") or []:
            if entry["slug"] == slug:
                entry.update(changes)
                path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
                return
    raise AssertionError(slug)


# --- Round trip -----------------------------------------------------------------------------------


def test_exporting_the_loaded_catalogue_reproduces_the_curated_files_byte_for_byte(fixtures_copy):
    assert export_fixtures(fixtures_copy) == []
    assert differing_files(settings.FIXTURES_DIR, fixtures_copy) == []


def test_a_fresh_export_holds_everything_the_database_holds(tmp_path, django_db_blocker):
    """Written into an empty folder (no curated style to keep), it loads back to the same data."""
    target = tmp_path / "fresh"
    export_fixtures(target)
    fixtures, problems = read_fixtures(target)
    assert problems == []
    exported = {entry["slug"]: entry for _f, _s, entry in fixtures.interventions()}
    assert set(exported) == set(Intervention.objects.values_list("slug", flat=True))
    before = database_content()
    Intervention.objects.update(loaded_checksum="")  # force every entry to be rewritten
    report = load(fixtures, settings.SEEDS_DIR)
    assert report.updated == len(exported)
    assert database_content() == before


def test_an_admin_edit_changes_exactly_its_lines_and_loads_back(fixtures_copy):
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    entry.summary = "Et nyt resumé."
    entry.save()
    entry.target_groups.add(TargetGroup.objects.get(slug="hjemloese"))
    Contact.objects.create(intervention=entry, name="Ny Person", phone="76 29 00 00", order=9)
    changed = export_fixtures(fixtures_copy)
    assert [p.name for p in changed] == ["000-dassos-2015-a.yaml"]
    old = (settings.FIXTURES_DIR / "sources" / "000-dassos-2015-a.yaml").read_text().splitlines()
    new = (fixtures_copy / "sources" / "000-dassos-2015-a.yaml").read_text().splitlines()
    removed = [line for line in old if line not in new]
    added = [line for line in new if line not in old]
    assert added[0] == "  summary: Et nyt resumé."
    groups = "voksne-med-psykiske-lidelser, voksne-med-autisme, ledige-og-sygemeldte, hjemloese"
    assert f"  target_groups: [{groups}]" in added  # the curated order kept, the new one last
    assert "  - name: Ny Person" in added and "    phone: 76 29 00 00" in added
    assert len(removed) == 5  # four summary lines and the old target group line
    before = database_content()
    fixtures, problems = read_fixtures(fixtures_copy)
    assert problems == []
    load(fixtures, settings.SEEDS_DIR)  # the fixture now holds the edit: nothing is overwritten
    assert database_content() == before


def test_drafts_and_review_dates_are_exported(fixtures_copy):
    Intervention.objects.filter(slug="biofeedback-horsens").update(
        is_published=False, reviewed_on="2026-12-01"
    )
    export_fixtures(fixtures_copy)
    data = yaml.safe_load((fixtures_copy / "sources" / "000-dassos-2015-a.yaml").read_text())
    entry = next(e for e in data["interventions"] if e["slug"] == "biofeedback-horsens")
    assert entry["published"] is False
    assert str(entry["reviewed_on"]) == "2026-12-01"


def test_export_command_writes_into_a_folder(fixtures_copy, capsys):
    call_command("export_fixtures", fixtures_copy)
    assert "0 fixture file(s) changed" in capsys.readouterr().out


# --- Overwrite guard ------------------------------------------------------------------------------


def test_reloading_the_unchanged_catalogue_writes_nothing(curated_fixtures):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        report = load(curated_fixtures, settings.SEEDS_DIR)
    elapsed = time.perf_counter() - started
    assert report.unchanged == 186 and report.created == report.updated == 0
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert elapsed < 30


def test_loading_stops_and_lists_entries_edited_in_the_admin(fixtures_copy, capsys):
    edited = Intervention.objects.get(slug="biofeedback-horsens")
    edited.summary = "Rettet af en redaktør."
    edited.save()
    edit_fixture_entry(fixtures_copy, "biofeedback-horsens", summary="Ny tekst i fixturen.")
    edit_fixture_entry(fixtures_copy, "cafe-tumling-aarhus", title="Café Tumling (ny titel)")
    before = database_content()
    with pytest.raises(CommandError, match="--overwrite"):
        call_command("load_catalogue", fixtures=fixtures_copy)
    err = capsys.readouterr().err
    assert "biofeedback-horsens: edited in the admin" in err
    assert "cafe-tumling" not in err
    assert database_content() == before  # not even the unedited entry was loaded
    fixtures, _ = read_fixtures(fixtures_copy)
    with pytest.raises(EditedEntries) as excinfo:
        load(fixtures, settings.SEEDS_DIR)
    assert [e.slug for e in excinfo.value.entries] == ["biofeedback-horsens"]


def test_overwrite_loads_over_the_edit_and_history_keeps_it(fixtures_copy):
    edited = Intervention.objects.get(slug="biofeedback-horsens")
    edited.summary = "Rettet af en redaktør."
    edited.save()
    edit_fixture_entry(fixtures_copy, "biofeedback-horsens", summary="Ny tekst i fixturen.")
    call_command("load_catalogue", fixtures=fixtures_copy, overwrite=True)
    edited.refresh_from_db()
    assert edited.summary == "Ny tekst i fixturen."
    summaries = [r.summary for r in edited.history.all()[:2]]
    assert summaries == ["Ny tekst i fixturen.", "Rettet af en redaktør."]


def test_an_entry_changed_only_in_the_fixture_is_loaded(fixtures_copy):
    edit_fixture_entry(fixtures_copy, "cafe-tumling-aarhus", title="Café Tumling (ny titel)")
    call_command("load_catalogue", fixtures=fixtures_copy)
    assert Intervention.objects.get(slug="cafe-tumling-aarhus").title == "Café Tumling (ny titel)"


# --- An intake draft ---------------------------------------------------------------------------


def test_an_intake_draft_is_exported_and_reloads_unchanged(fixtures_copy):
    entry = load_intake(INTAKE_EXAMPLE)
    export_fixtures(fixtures_copy)
    assert (fixtures_copy / "sources" / "indberetninger.yaml").exists()
    fixtures, problems = read_fixtures(fixtures_copy)
    assert problems == []
    before = database_content()
    load(fixtures, settings.SEEDS_DIR)
    assert database_content() == before
    entry.refresh_from_db()
    assert not entry.is_published
