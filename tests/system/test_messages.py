"""The English catalogue holds every interface string the code and templates mark for translation.

`tests/test_translations.py` checks the committed .po file is complete and compiled; this test
checks the .po file is up to date with the code: it runs `makemessages` on a copy of the project
and compares the message ids. A new Danish string without `make messages` fails here.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.test_translations import read_po

ROOT = Path(settings.BASE_DIR)
COPIED = ("catalogue", "interventions", "templates", "locale", "manage.py")


def message_ids(po: Path) -> set[str]:
    return {entry["msgid"] for entry in read_po(po) if "msgid" in entry}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_the_committed_catalogue_has_every_marked_string(tmp_path):
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--verbosity", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "HOME": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    committed = message_ids(ROOT / "locale/en/LC_MESSAGES/django.po")
    current = message_ids(tmp_path / "locale/en/LC_MESSAGES/django.po")
    assert sorted(current - committed) == [], "run `make messages` and translate the new strings"
    assert sorted(committed - current) == [], "strings no longer used: run `make messages`"
