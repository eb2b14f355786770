"""The curation commands: one verb each; the modes that were flags name their new command."""

import shutil

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import path

from interventions.models import Intervention

pytestmark = pytest.mark.django_db

INTAKE_EXAMPLE = settings.FIXTURES_DIR / "intake" / "EKSEMPEL.yaml"

# The admin somewhere else than /admin/, as ADMIN_URL allows (ROOT_URLCONF of one test below).
urlpatterns = [path("redaktion-x7/", admin.site.urls)]


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [
        (
            "load_catalogue",
            {"intake": str(INTAKE_EXAMPLE)},
            "load_catalogue --intake is now a command of its own: manage.py load_intake FILE",
        ),
        (
            "validate_catalogue",
            {"intake": str(INTAKE_EXAMPLE)},
            "validate_catalogue --intake is now a command of its own: manage.py check_intake FILE",
        ),
        (
            "export_catalogue",
            {"fixtures": ""},
            "export_catalogue --fixtures is now a command of its own: "
            "manage.py export_fixtures [DIR]",
        ),
    ],
)
def test_an_old_mode_flag_names_the_command_that_replaced_it(command, options, message):
    count = Intervention.objects.count()
    with pytest.raises(CommandError) as raised:
        call_command(command, **options)
    assert str(raised.value) == message
    assert Intervention.objects.count() == count


@override_settings(ROOT_URLCONF=__name__)
def test_load_intake_points_to_the_draft_in_the_admin_wherever_it_is(capsys):
    call_command("load_intake", INTAKE_EXAMPLE)
    entry = Intervention.objects.get(title="Værkstedsfællesskab for unge med autisme")
    out = capsys.readouterr().out
    assert f"i administrationen: /redaktion-x7/interventions/intervention/{entry.pk}/change/" in out


def test_check_intake_writes_nothing(capsys):
    count = Intervention.objects.count()
    call_command("check_intake", INTAKE_EXAMPLE)
    assert "Indberetningen er gyldig" in capsys.readouterr().out
    assert Intervention.objects.count() == count


def test_export_fixtures_writes_nothing_when_the_files_hold_the_database(tmp_path, capsys):
    """The curated files are what the test database was loaded from."""
    shutil.copytree(settings.FIXTURES_DIR, tmp_path / "fixtures")
    call_command("export_fixtures", tmp_path / "fixtures")
    out = capsys.readouterr().out
    assert out == f"0 fixture file(s) changed in {tmp_path / 'fixtures'}.\n"
