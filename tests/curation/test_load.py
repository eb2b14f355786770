"""Loading the curated fixtures: all or nothing, idempotent, with precise error messages."""

import contextlib
import datetime
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from interventions.curation import load as loading
from interventions.curation.load import load
from interventions.curation.problems import CatalogueInvalid
from interventions.curation.read import read_fixtures
from interventions.curation.validate import validate
from interventions.models import Contact, Guidance, Intervention, LegalBasis, SourceSection
from tests.support import MANAGE, ROOT, production_env

pytestmark = pytest.mark.django_db

FIRST_ENTRY_FILE = "sources/000-dassos-2015-a.yaml"


def snapshot() -> dict:
    """Everything a load could change, to prove a failed load changed nothing."""
    return {
        "interventions": sorted(
            Intervention.objects.values_list("slug", "loaded_checksum", "updated_at", "title")
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


def test_loaded_entries_were_reviewed_on_the_curation_day_and_never_confirmed():
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    assert entry.reviewed_on == datetime.date(2026, 11, 22)
    assert not entry.is_confirmed and not entry.confirmations.exists()
    assert entry.information_date == entry.source.published_on == datetime.date(2016, 1, 1)
    assert entry.source.published_precision == "month"


def test_every_loaded_entry_states_when_it_was_reviewed():
    assert not Intervention.objects.filter(reviewed_on__isnull=True).exists()
    assert Intervention.objects.filter(last_confirmed_on__isnull=False).count() == 0


def test_loading_records_one_history_entry_per_entry_without_a_user():
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    records = list(entry.history.all())
    assert len(records) == 1
    assert records[0].history_change_reason == "Indlæst fra fixtures"
    assert records[0].history_user is None
    assert {t.targetgroup.slug for t in records[0].target_groups.all()} == set(
        entry.target_groups.values_list("slug", flat=True)
    )


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


def test_confirmations_in_a_fixture_are_loaded_and_date_the_information(fixtures_copy):
    confirmed = {
        "confirmed_on": datetime.date(2026, 11, 30),
        "confirmed_by": "Horsens Kommune, Socialafdelingen",
        "method": "telephone",
        "note": "",
    }
    older = {**confirmed, "confirmed_on": datetime.date(2025, 2, 1), "method": "email"}
    edit_first_entry(fixtures_copy, lambda e: e.update(confirmations=[older, confirmed]))
    load(read_fixtures(fixtures_copy)[0], settings.SEEDS_DIR)
    entry = Intervention.objects.get(slug="biofeedback-horsens")
    assert list(entry.confirmations.values_list("confirmed_on", "method")) == [
        (datetime.date(2026, 11, 30), "telephone"),
        (datetime.date(2025, 2, 1), "email"),
    ]
    assert entry.last_confirmed_on == entry.information_date == datetime.date(2026, 11, 30)
    edit_first_entry(fixtures_copy, lambda e: e.update(confirmations=[older]))
    load(read_fixtures(fixtures_copy)[0], settings.SEEDS_DIR)
    entry.refresh_from_db()
    assert entry.confirmations.count() == 1
    assert entry.last_confirmed_on == datetime.date(2025, 2, 1)


def test_served_municipalities_in_a_fixture_are_loaded_with_their_basis():
    entry = Intervention.objects.get(slug="psykiatrisk-mobilteam-goedstrup")
    served = {s.municipality.name: s for s in entry.served.select_related("municipality")}
    assert set(served) == {"Herning", "Ikast-Brande", "Ringkøbing-Skjern"}
    assert {s.basis for s in served.values()} == {"source"}
    assert served["Herning"].source_first_line == 6443
    lab10 = Intervention.objects.get(slug="lab10-randers")
    assert set(lab10.served.values_list("basis", flat=True)) == {"editors"}
    assert all(s.note for s in lab10.served.all())


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
    monkeypatch.setattr("interventions.curation.load._store_loaded_checksums", explode)
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


# --- Two loads at once ----------------------------------------------------------------------------


def changed_copy(target: Path) -> Path:
    """A copy of the fixtures in which every entry's summary changed: a load writes all 186."""
    shutil.copytree(settings.FIXTURES_DIR, target)
    for path in sorted((target / "sources").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data.get("interventions") or []:
            entry["summary"] = entry["summary"].strip() + " Ændret i en test."
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return target


HISTORY_COUNTS = """
import django, json
django.setup()
from collections import Counter
from interventions.models import Intervention
rows = Intervention.history.filter(history_change_reason="Indlæst fra fixtures")
print(json.dumps(Counter(rows.values_list("slug", flat=True))))
"""


def loaded_history(url: str) -> dict[str, int]:
    """How many "loaded from fixtures" history records each entry has, in another database."""
    result = subprocess.run(
        [sys.executable, "-c", HISTORY_COUNTS],
        env=production_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_two_loads_at_once_write_every_change_once(scratch_databases, tmp_path):
    """The second load waits for the first, then finds nothing left to do."""
    url = scratch_databases.create("two_loads", template="loaded")
    fixtures = changed_copy(tmp_path / "fixtures")
    before = loaded_history(url)
    assert len(before) == 186 and set(before.values()) == {1}

    runs = [
        subprocess.Popen(
            [*MANAGE, "load_catalogue", "--fixtures", str(fixtures)],
            env=production_env(url),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    reports = sorted(out for out, _err in outputs)
    assert "0 created, 0 updated, 186 unchanged" in reports[0]
    assert "0 created, 186 updated, 0 unchanged" in reports[1]
    assert loaded_history(url) == dict.fromkeys(before, 2)


HOLD_THE_LOCK_AND_LOAD = """
import sys, django
django.setup()
from django.core.management import execute_from_command_line
from interventions.curation import load as loading

loading.LOCK_WAIT_SECONDS = 1
execute_from_command_line(["manage.py", "load_catalogue", "--fixtures", sys.argv[1]])
"""


def test_a_load_that_waits_too_long_for_another_gives_up_cleanly(scratch_databases, tmp_path):
    """While another writer holds the catalogue, a load waits LOCK_WAIT_SECONDS, then stops
    with a one-line message and changes nothing."""
    url = scratch_databases.create("locked", template="loaded")
    fixtures = changed_copy(tmp_path / "fixtures")
    before = loaded_history(url)
    with contextlib.ExitStack() as stack:
        if scratch_databases.postgres:
            import psycopg

            holder = stack.enter_context(
                psycopg.connect(url.replace("postgres://", "postgresql://"))
            )
            holder.execute("SELECT pg_advisory_lock(%s)", [loading._PG_LOCK_KEY])
        else:
            holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            stack.callback(holder.close)
            holder.execute("BEGIN IMMEDIATE")
        result = subprocess.run(
            [sys.executable, "-c", HOLD_THE_LOCK_AND_LOAD, str(fixtures)],
            env=production_env(url),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "CommandError: Another load or intake has held the catalogue for 1 s; the database was "
        "not changed. Try again when it has finished."
    )
    assert loaded_history(url) == before


def test_vocabulary_aliases_are_loaded_one_a_line():
    from interventions.models import Method

    ips = Method.objects.get(slug="ips")
    assert "Individual Placement and Support" in ips.aliases.splitlines()
    peer = Method.objects.get(slug="peer-stoette")
    assert {"peer support", "ligestillet støtte"} <= set(peer.aliases.splitlines())
