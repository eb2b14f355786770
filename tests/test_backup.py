"""Backups: `make backup` writes every row; `make restore` puts all of it into an empty database.

The comparison is generic: every model in the app registry (so history tables, axes' records and
whatever the next app adds are covered without touching this file), every row, every field.
"""

import gzip
import re
import stat
import subprocess
import sys

import pytest
import yaml

from tests.support import ROOT, free_port, manage, production_env, snapshot_of

pytestmark = pytest.mark.django_db

# What editors and the admin leave behind besides the catalogue itself.
EDITORIAL_ACTIVITY = """
import django
django.setup()
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from interventions.models import Intervention

editors = Group.objects.create(name="Redaktører")
editors.permissions.set(Permission.objects.filter(content_type__app_label="interventions"))
admin = User.objects.create_superuser("admin", "admin@example.dk", "hemmelig-kode-123")
editor = User.objects.create_user("redaktor", "r@example.dk", "kode-456", first_name="Åse")
editor.groups.add(editors)
entry = Intervention.objects.order_by("slug").first()
entry.is_published = False
entry.editorial_note = "Kladde: tjekkes af redaktionen – «citat» ½"
entry.save()
LogEntry.objects.create(
    user=editor,
    content_type=ContentType.objects.get_for_model(Intervention),
    object_id=str(entry.pk),
    object_repr=str(entry),
    action_flag=CHANGE,
    change_message="[]",
)
session = SessionStore()
session["_auth_user_id"] = str(editor.pk)
session.create()
AccessAttempt.objects.create(
    username="admin", ip_address="203.0.113.7", user_agent="curl", failures_since_start=2,
    get_data="", post_data="", http_accept="*/*", path_info="/admin/login/",
)
"""


NEW_ROWS = """
import django
django.setup()
from django.contrib.auth.models import User
from interventions.models import Contact, Intervention

User.objects.create_user("ny-redaktor")
Contact.objects.create(intervention=Intervention.objects.first(), name="Ny Kontakt", order=99)
"""


def make(target: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", target, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def source(scratch_databases):
    """A catalogue with users, groups, a draft, an admin log entry, a session and a lock-out."""
    url = scratch_databases.create("backup_source", template="loaded")
    subprocess.run(
        [sys.executable, "-c", EDITORIAL_ACTIVITY],
        env=production_env(url),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return url


@pytest.fixture(scope="module")
def backup_file(source, tmp_path_factory):
    directory = tmp_path_factory.mktemp("backups")
    result = make("backup", production_env(source, BACKUP_DIR=str(directory)))
    assert result.returncode == 0, result.stderr
    (path,) = directory.iterdir()
    return path


def test_a_backup_is_a_private_timestamped_gzip_file(backup_file):
    assert re.fullmatch(r"indsatskataloget-\d{8}-\d{6}\.yaml\.gz", backup_file.name)
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    records = yaml.safe_load(gzip.decompress(backup_file.read_bytes()))
    models = {record["model"] for record in records}
    assert {"interventions.intervention", "auth.user", "sessions.session"} <= models
    assert {"axes.accessattempt", "admin.logentry", "interventions.contact"} <= models
    # The search's copy of the entries' texts is derived: restore rebuilds it (compared below).
    assert "interventions.searchentry" not in models


def test_restoring_into_an_empty_database_reproduces_every_row(
    scratch_databases, source, backup_file
):
    target = scratch_databases.create("restored", template="migrated")
    result = make("restore", production_env(target), f"FILE={backup_file}")
    assert result.returncode == 0, result.stderr

    original = snapshot_of(source)
    restored = snapshot_of(target)
    assert restored.keys() == original.keys()
    for model, rows in original.items():
        assert restored[model] == rows, model
    # The comparison saw the things that matter, not just empty tables.
    rows = {model: sum(n for _row, n in counted) for model, counted in original.items()}
    assert rows["interventions.intervention"] == 186
    assert rows["auth.user"] == 2 and rows["auth.group_permissions"] > 0
    assert rows["sessions.session"] == rows["axes.accessattempt"] == rows["admin.logentry"] == 1
    assert rows["interventions.contact"] > 0 and rows["interventions.intervention_related"] > 0
    assert rows["interventions.searchentry"] == 186

    # Editing goes on after a restore: new rows get fresh ids (PostgreSQL's sequences were reset).
    subprocess.run(
        [sys.executable, "-c", NEW_ROWS], env=production_env(target), cwd=ROOT, check=True
    )


def test_restore_refuses_a_database_that_is_not_empty(source, backup_file):
    result = make("restore", production_env(source), f"FILE={backup_file}")
    assert result.returncode != 0
    assert "not empty" in result.stderr


def test_restore_without_a_file_says_how_to_call_it():
    result = make("restore", production_env())
    assert result.returncode != 0 and "Usage: make restore FILE=" in result.stderr


# --- Damaged backups and an unreachable database --------------------------------------------------


def assert_one_line_error(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("CommandError: ") and expected in line, line


def test_a_backup_cut_short_is_refused_before_anything_is_written(
    scratch_databases, backup_file, tmp_path
):
    """A copy that broke off half-way: one line, exit 1, and the database still empty."""
    target = scratch_databases.create("restore_truncated", template="migrated")
    truncated = tmp_path / backup_file.name
    data = backup_file.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    before = snapshot_of(target)
    result = manage("restore", str(truncated), env=production_env(target), check=False)
    assert_one_line_error(result, "is damaged or incomplete")
    assert snapshot_of(target) == before


def test_a_backup_that_is_not_a_backup_is_refused_and_changes_nothing(scratch_databases, tmp_path):
    target = scratch_databases.create("restore_garbage", template="migrated")
    garbage = tmp_path / "indsatskataloget-20260101-120000.yaml.gz"
    garbage.write_bytes(gzip.compress(b"- model: interventions.region\n  fields: {name: [\n"))
    before = snapshot_of(target)
    result = manage("restore", str(garbage), env=production_env(target), check=False)
    assert_one_line_error(result, "could not be restored")
    assert snapshot_of(target) == before


def test_a_backup_of_an_unreachable_database_says_so_and_leaves_no_file(
    scratch_databases, tmp_path
):
    if scratch_databases.postgres:
        url = scratch_databases.url("gone").rsplit(":", 1)[0] + f":{free_port()}/gone"
    else:
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    directory = tmp_path / "backups"
    result = manage("backup", "--directory", str(directory), env=production_env(url), check=False)
    assert_one_line_error(result, "Could not read the database (")
    assert list(directory.iterdir()) == []
