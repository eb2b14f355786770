"""Intake: a municipality's form is checked in Danish and loaded as an unverified draft."""

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from interventions.curation.intake import IntakeInvalid, load_intake, read_intake
from interventions.models import Intervention, TargetGroup, today

pytestmark = pytest.mark.django_db

INTAKE_EXAMPLE = settings.FIXTURES_DIR / "intake" / "EKSEMPEL.yaml"


def intake_problems(tmp_path, **changes) -> list[str]:
    data = yaml.safe_load(INTAKE_EXAMPLE.read_text())
    data.update(changes)
    path = tmp_path / "indberetning.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    _intake, problems = read_intake(path)
    return [str(p) for p in problems]


def test_the_empty_template_names_the_fields_to_fill_in():
    _intake, problems = read_intake(settings.FIXTURES_DIR / "intake" / "TEMPLATE.yaml")
    assert {p.field for p in problems} >= {"title", "summary", "organisation", "target_groups"}
    assert all("skal udfyldes" in p.message for p in problems)


def test_a_filled_intake_loads_as_a_draft_confirmed_by_its_owner_that_day(capsys):
    call_command("check_intake", INTAKE_EXAMPLE)
    assert "Indberetningen er gyldig" in capsys.readouterr().out
    call_command("load_intake", INTAKE_EXAMPLE)
    entry = Intervention.objects.get(title="Værkstedsfællesskab for unge med autisme")
    assert not entry.is_published and entry.reviewed_on is None
    confirmation = entry.confirmations.get()
    assert confirmation.method == "intake_form" and confirmation.confirmed_by == entry.organisation
    assert entry.information_date == confirmation.confirmed_on == today()
    assert entry.budget_dkk == 450_000
    assert set(entry.target_groups.values_list("slug", flat=True)) == {
        "voksne-med-autisme",
        "unge-15-25",
    }
    assert list(entry.municipalities.values_list("name", flat=True)) == ["Horsens"]
    assert entry.contacts.get().email == "eva.eksempel@example.dk"
    assert entry.legal_bases.get().paragraph.label == "SEL § 104"
    assert entry.history.get().history_change_reason == "Indberetning indlæst som kladde"
    assert entry not in Intervention.objects.published()


def test_a_broken_intake_is_explained_in_danish_and_nothing_is_loaded(tmp_path, capsys):
    data = yaml.safe_load(INTAKE_EXAMPLE.read_text())
    data.update(
        sector="privat",
        target_groups=["Unge med autisme"],
        period_start=2024,
        period_end=2020,
        budget_dkk="ca. en halv million",
        legal_basis=["Serviceloven 85"],
        farve="blå",
    )
    data["contacts"][0].update(email="eva(at)example.dk", phone="12 34")
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True))
    count = Intervention.objects.count()
    with pytest.raises(CommandError, match="fejl"):
        call_command("check_intake", broken)
    err = capsys.readouterr().err
    for expected in (
        "sector: “privat” er ikke en mulighed",
        "target_groups: ukendt målgruppe: “Unge med autisme”",
        "period_end: Slutåret (2020) ligger før startåret (2024).",
        "budget_dkk: skriv beløbet i hele kroner",
        "legal_basis: skriv paragraffen som “SEL § 85”",
        "farve: ukendt felt",
        "contacts[1].email: “eva(at)example.dk” er ikke en gyldig e-mailadresse",
        "contacts[1].phone: “12 34” er ikke et dansk telefonnummer",
    ):
        assert expected in err, expected
    with pytest.raises(IntakeInvalid):
        load_intake(broken)
    assert Intervention.objects.count() == count


def test_an_intake_for_an_existing_title_and_owner_is_refused(tmp_path):
    data = yaml.safe_load(INTAKE_EXAMPLE.read_text())
    data.update(title="Afklaringspladser", organisation="Aarhus Kommune")
    path = tmp_path / "twin.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    _intake, problems = read_intake(path)
    assert [p.field for p in problems] == ["title"]
    assert "har allerede en indsats" in problems[0].message


# --- The rules of a valid entry (curation/schema.py), in the intake's Danish -----------------


def test_a_budget_without_a_note_is_refused(tmp_path):
    assert intake_problems(tmp_path, budget_note="") == [
        "budget_note: Skriv hvad beløbet dækker, fx 'Samlet projektbudget 2015-2016'."
    ]


def test_an_amount_must_say_what_kind_of_amount_it_is(tmp_path):
    assert intake_problems(tmp_path, budget_kind="") == [
        "budget_kind: Angiv beløbets art (årligt, samlet for en periode, pr. deltager, anlæg)."
    ]


def test_an_unknown_budget_kind_names_the_choices(tmp_path):
    [problem] = intake_problems(tmp_path, budget_kind="monthly")
    assert problem.startswith("budget_kind: “monthly” er ikke en mulighed; vælg en af: per_year")


def test_more_than_four_target_groups_are_refused(tmp_path):
    names = list(TargetGroup.objects.values_list("name", flat=True)[:5])
    assert len(names) == 5
    assert intake_problems(tmp_path, target_groups=names) == [
        "target_groups: Vælg 1-4 målgrupper, de vigtigste."
    ]


def test_a_twin_is_refused_with_a_link_to_the_entry_to_correct(tmp_path):
    twin = Intervention.objects.get(title="Afklaringspladser", organisation="Aarhus Kommune")
    assert intake_problems(tmp_path, title="AFKLARINGSPLADSER", organisation="Aarhus Kommune") == [
        "title: Aarhus Kommune har allerede en indsats med titlen “AFKLARINGSPLADSER”. Ret den i "
        f"stedet for at indberette den igen: {twin.get_absolute_url()}"
    ]
