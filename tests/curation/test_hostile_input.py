"""Hostile input files: whatever a fixture file or an intake form holds, the commands answer with
the file, the entry and the field it concerns, exit non-zero without a traceback, and leave the
database as it was.

Every hostile file is made here, in tmp_path: a copy of the curated fixtures with one thing
broken, or the intake example (fixtures/intake/EKSEMPEL.yaml) with one thing broken.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from interventions.curation import intake, read, schema
from interventions.models import Intervention
from tests.support import MANAGE, ROOT, TcpProxy, production_env, snapshot, snapshot_of

pytestmark = pytest.mark.django_db

FIRST_FILE = "sources/000-dassos-2015-a.yaml"
FIRST_SLUG = "biofeedback-horsens"
INTAKE_EXAMPLE = settings.FIXTURES_DIR / "intake" / "EKSEMPEL.yaml"
# What a subprocess fed a hostile file may use: the commands need about 100 MB; a "billion
# laughs" expanded would need gigabytes, and must not get them on a shared machine.
MEMORY_LIMIT = 1024 * 1024 * 1024


@pytest.fixture
def fixtures_copy(tmp_path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, target)
    return target


def edit_yaml(path: Path, change: Callable[[object], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def first_entry() -> dict:
    data = yaml.safe_load((settings.FIXTURES_DIR / FIRST_FILE).read_text(encoding="utf-8"))
    return data["interventions"][0]


def source_text(raw: str = "", slug: str = "fjendtlig-indsats") -> str:
    """A source file with one valid entry (a copy of the first curated one under a new slug);
    `raw` YAML lines go into the entry right after its slug."""
    entry = {key: value for key, value in first_entry().items() if key != "slug"}
    entry.update(title="Fjendtlig indsats", related=[])
    body = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=1000)
    lines = "".join(f"  {line}\n" for line in body.splitlines())
    return f"source: dassos-2015\ninterventions:\n- slug: {slug}\n{raw}{lines}"


def load_refused(fixtures_dir: Path, capsys) -> str:
    """Load the fixtures, which must be refused with a CommandError; the problems it printed."""
    capsys.readouterr()
    with pytest.raises(CommandError, match="the database was not changed"):
        call_command("load_catalogue", fixtures=fixtures_dir)
    return capsys.readouterr().err


def run_limited(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """manage.py in a subprocess with at most MEMORY_LIMIT of memory and five minutes."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [*MANAGE, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=limit_memory,
        timeout=300,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError: "), result.stderr
    for text in expected:
        assert text in result.stderr, (text, result.stderr)


# --- Values that the database (or the model) would refuse -----------------------------------------


def change_entry(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(fixtures_dir: Path) -> None:
        edit_yaml(fixtures_dir / FIRST_FILE, lambda data: change(data["interventions"][0]))

    return apply


def change_row(file: str, change: Callable[[object], None]) -> Callable[[Path], None]:
    return lambda fixtures_dir: edit_yaml(fixtures_dir / file, change)


def change_section(key: str, text: str) -> Callable[[dict], None]:
    return lambda entry: entry["sections"].update({key: text})


def change_contact(**values) -> Callable[[dict], None]:
    return lambda entry: entry["contacts"][0].update(values)


LONG_EMAIL = "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "dk"  # valid, and 259 characters long
LAWS = "vocabularies/legal_paragraphs.yaml"
GUIDANCE = "sources/001-dsr-investering-2019-guidance.yaml"


BAD_VALUES = [
    # (what, change, file, entry, field, message)
    (
        "a budget beyond the bigint column",
        change_entry(lambda e: e.update(budget_dkk=2**63, budget_note="Samlet")),
        FIRST_FILE,
        FIRST_SLUG,
        "budget_dkk",
        "at most 9223372036854775807",
    ),
    (
        "NUL in a title",
        change_entry(lambda e: e.update(title="Bio\x00feedback")),
        FIRST_FILE,
        FIRST_SLUG,
        "title",
        "control character U+0000 (character 4)",
    ),
    (
        "ESC in the summary",
        change_entry(lambda e: e.update(summary="Rødt \x1b[31m og blinkende.")),
        FIRST_FILE,
        FIRST_SLUG,
        "summary",
        "control character U+001B",
    ),
    (
        "BEL in a text section",
        change_entry(change_section("purpose", "Formål\x07")),
        FIRST_FILE,
        FIRST_SLUG,
        "sections.purpose",
        "control character U+0007",
    ),
    (
        "a C1 control character in the editorial note",
        change_entry(lambda e: e.update(editorial_note="Note\x9b2J")),
        FIRST_FILE,
        FIRST_SLUG,
        "editorial_note",
        "control character U+009B",
    ),
    (
        "ESC in a contact's name",
        change_entry(change_contact(name="Anne\x1b]0;pwned\x07")),
        FIRST_FILE,
        FIRST_SLUG,
        "contacts[1].name",
        "control character U+001B",
    ),
    (
        "NUL in an alternative title",
        change_entry(lambda e: e.update(alternative_titles=["Bio\x00"])),
        FIRST_FILE,
        FIRST_SLUG,
        "alternative_titles[1]",
        "control character U+0000",
    ),
    (
        "a list where a target group's slug is expected",
        change_entry(lambda e: e.update(target_groups=[["voksne-med-hjerneskade"]])),
        FIRST_FILE,
        FIRST_SLUG,
        "target_groups",
        "must list text values, not a list",
    ),
    (
        "a list where the source section's code is expected",
        change_entry(lambda e: e.update(source_section=["tema-1"])),
        FIRST_FILE,
        FIRST_SLUG,
        "source_section",
        "must be text, not a list",
    ),
    (
        "a list as the slug",
        change_entry(lambda e: e.update(slug=["biofeedback"])),
        FIRST_FILE,
        "#1",
        "slug",
        "must be text, not a list",
    ),
    (
        "text where a list of municipalities is expected",
        change_entry(lambda e: e.update(municipalities="Horsens")),
        FIRST_FILE,
        FIRST_SLUG,
        "municipalities",
        "must be a list of text values, not text",
    ),
    (
        "text where a year is expected",
        change_entry(lambda e: e.update(period_start="2015")),
        FIRST_FILE,
        FIRST_SLUG,
        "period_start",
        "must be a whole number, not text",
    ),
    (
        "a number where text is expected",
        change_entry(lambda e: e.update(organisation=2015)),
        FIRST_FILE,
        FIRST_SLUG,
        "organisation",
        "must be text, not a number",
    ),
    (
        "a number where a paragraph label is expected",
        change_entry(lambda e: e.update(legal_basis=[{"paragraph": 85}])),
        FIRST_FILE,
        FIRST_SLUG,
        "legal_basis[1]",
        "must name a paragraph like 'SEL § 85'",
    ),
    (
        "an editorial note of 30,000 characters",
        change_entry(lambda e: e.update(editorial_note=("Lang note. " * 3000).strip())),
        FIRST_FILE,
        FIRST_SLUG,
        "editorial_note",
        "at most 5000 fit",
    ),
    (
        "a text section of 25,000 characters",
        change_entry(change_section("activities", ("Aktivitet. " * 2300).strip())),
        FIRST_FILE,
        FIRST_SLUG,
        "sections.activities",
        "at most 20000 fit",
    ),
    (
        "a valid email address longer than its column",
        change_entry(change_contact(email=LONG_EMAIL)),
        FIRST_FILE,
        FIRST_SLUG,
        "contacts[1].email",
        "at most 254 fit",
    ),
    (
        "a target group name longer than its column",
        change_row("vocabularies/target_groups.yaml", lambda rows: rows[0].update(name="N" * 121)),
        "vocabularies/target_groups.yaml",
        "#1",
        "name",
        "is 121 characters long; at most 120 fit",
    ),
    (
        "two target groups with the same name",
        change_row(
            "vocabularies/target_groups.yaml", lambda rows: rows[1].update(name=rows[0]["name"])
        ),
        "vocabularies/target_groups.yaml",
        "#2",
        "name",
        "duplicate name",
    ),
    (
        "a five-digit municipality code",
        change_row("vocabularies/municipalities.yaml", lambda rows: rows[0].update(code="10101")),
        "vocabularies/municipalities.yaml",
        "#1",
        "code",
        "at most 3 fit",
    ),
    (
        "a municipality code written as a number",
        change_row("vocabularies/municipalities.yaml", lambda rows: rows[0].update(code=101)),
        "vocabularies/municipalities.yaml",
        "#1",
        "code",
        "must be text, not a number",
    ),
    (
        "a law's link longer than its column",
        change_row(LAWS, lambda data: data["laws"][0].update(url="https://x.dk/" + "a" * 200)),
        LAWS,
        "#1",
        "url",
        "at most 200 fit",
    ),
    (
        "a KKR goal ordered by a word",
        change_row("vocabularies/kkr_goals.yaml", lambda rows: rows[0].update(order="først")),
        "vocabularies/kkr_goals.yaml",
        "#1",
        "order",
        "must be a whole number, not text",
    ),
    (
        "a guidance number beyond its column",
        change_row(GUIDANCE, lambda data: data["guidance"][0].update(number=40000)),
        GUIDANCE,
        "guidance 40000",
        "number",
        "at most 32767",
    ),
    (
        "NUL in a vocabulary description",
        change_row("vocabularies/methods.yaml", lambda rows: rows[0].update(description="\x00")),
        "vocabularies/methods.yaml",
        "#1",
        "description",
        "control character U+0000",
    ),
]


@pytest.mark.parametrize(
    ("change", "file", "entry", "field", "message"),
    [case[1:] for case in BAD_VALUES],
    ids=[case[0] for case in BAD_VALUES],
)
def test_a_value_the_database_would_refuse_is_named_and_nothing_is_written(
    fixtures_copy, capsys, change, file, entry, field, message
):
    change(fixtures_copy)
    before = snapshot()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("validate_catalogue", fixtures=fixtures_copy)
    err = capsys.readouterr().err
    assert f"{file} · {entry} · {field}: " in err, err
    assert message in err, err
    assert load_refused(fixtures_copy, capsys) == err
    assert snapshot() == before


def test_messages_quote_at_most_a_short_excerpt_of_a_value(fixtures_copy, capsys):
    """A value echoed in a message is cut short and its control characters made visible."""
    change_entry(lambda e: e.update(municipalities=["Atlantis \x1b[2J" + "x" * 100_000]))(
        fixtures_copy
    )
    err = load_refused(fixtures_copy, capsys)
    (line,) = [line for line in err.splitlines() if "unknown municipality" in line]
    assert "unknown municipality: 'Atlantis \\x1b[2Jxxx" in line
    assert len(line) < 250 and "\x1b" not in err


# --- YAML that the catalogue's files never need ---------------------------------------------------


RAW_CASES = [
    # (what, raw lines in the entry, field, message)
    ("a key given twice", "  title: Første titel\n", "title", "the key title is given twice"),
    (
        "an anchor",
        "  regions: &midt [Region Midtjylland]\n",
        "regions",
        "YAML anchor &midt at line 4, column 12: anchors are not allowed",
    ),
    (
        "an alias",
        "  municipalities: [Horsens]\n  regions: *midt\n",
        "regions",
        "YAML alias *midt at line 5",
    ),
    ("a merge key", "  <<: {title: Flettet}\n", "<<", "merge key (<<) at line 4"),
    ("a key that is no text", "  2015: x\n", "2015", "the key 2015 at line 4, column 3 reads as"),
    ("a number of 5,000 digits", "  budget_dkk: " + "9" * 5000 + "\n", "budget_dkk", "digits"),
    (
        "a date that does not exist",
        "  reviewed_on: 2026-13-45\n",
        "reviewed_on",
        "not a date at line 4",
    ),
    (
        "a list nested 50 deep",
        "  methods: " + "[" * 50 + "]" * 50 + "\n",
        "methods[1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1]",
        "nested more than 20 levels deep",
    ),
    (
        "150,000 values",
        "  methods: [" + "a, " * 150_000 + "]\n",
        "methods[99991]",
        "more than 100000 values in one file",
    ),
]


@pytest.mark.parametrize(
    ("raw", "field", "message"), [case[1:] for case in RAW_CASES], ids=[c[0] for c in RAW_CASES]
)
def test_yaml_beyond_the_format_is_refused_with_its_place(
    fixtures_copy, capsys, raw, field, message
):
    (fixtures_copy / "sources" / "zz-fjendtlig.yaml").write_text(source_text(raw), encoding="utf-8")
    before = snapshot()
    err = load_refused(fixtures_copy, capsys)
    assert f"sources/zz-fjendtlig.yaml · fjendtlig-indsats · {field}: " in err, err
    assert message in err, err
    assert snapshot() == before


def test_the_file_that_holds_the_base_entry_of_these_cases_loads(fixtures_copy, capsys):
    """The cases above break only what they mean to: without it, their entry loads."""
    (fixtures_copy / "sources" / "zz-fjendtlig.yaml").write_text(source_text(), encoding="utf-8")
    call_command("load_catalogue", fixtures=fixtures_copy)
    assert Intervention.objects.filter(slug="fjendtlig-indsats").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty: it holds no data"),
        (b"# only a comment\n", "the file is empty: it holds no data"),
        (
            b"source: dassos-2015\ninterventions: []\n\xff\xfe\n",
            "the file is not UTF-8 text (byte 39)",
        ),
        (b"source: \x1b[2J\n", "malformed YAML"),
    ],
    ids=["0 bytes", "only a comment", "not UTF-8", "a raw control character"],
)
def test_a_source_file_without_data_is_reported(fixtures_copy, capsys, content, message):
    (fixtures_copy / "sources" / "zz-leer.yaml").write_bytes(content)
    err = load_refused(fixtures_copy, capsys)
    assert f"sources/zz-leer.yaml · - · -: {message}" in err, err


def test_a_file_larger_than_the_limit_is_not_read(fixtures_copy, capsys):
    note = "Lang note. " * (read.MAX_FILE_BYTES // 11 + 1)
    (fixtures_copy / "sources" / "zz-stor.yaml").write_text(
        source_text(f"  editorial_note: {note}\n"), encoding="utf-8"
    )
    err = load_refused(fixtures_copy, capsys)
    assert f"sources/zz-stor.yaml · - · -: the file is larger than {read.MAX_FILE_BYTES}" in err


def billion_laughs(keys: list[str], target: str) -> str:
    """Nine nested levels of nine aliases each: 9**9 "lol"s once expanded, in 10 lines."""
    lines = [f'{keys[0]}: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"{keys[level]}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    lines.append(f"{target}: *l8")
    return "\n".join(lines) + "\n"


ENTRY_KEYS = ["title", "summary", "locator", "organisation", "budget_note", "funding_source"]
ENTRY_KEYS += ["editorial_note", "methods", "policy_areas"]


def test_a_billion_laughs_fixture_is_refused_without_expanding_it(scratch_databases, tmp_path):
    """The slug is an alias of nine levels of aliases: expanded (and quoted in a message) it
    would take gigabytes. The subprocess may use 1 GB."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, fixtures)
    bomb = billion_laughs(ENTRY_KEYS, "slug").replace("\n", "\n  ")
    (fixtures / "sources" / "zz-latter.yaml").write_text(
        "source: dassos-2015\ninterventions:\n- " + bomb, encoding="utf-8"
    )
    result = run_limited(
        "validate_catalogue",
        "--fixtures",
        str(fixtures),
        env=production_env(scratch_databases.url("loaded")),
    )
    assert_one_line_error(
        result,
        "sources/zz-latter.yaml · #1 · title: YAML anchor &l0 at line 3, column 10",
    )


# --- Intake forms ---------------------------------------------------------------------------------


def intake_file(tmp_path: Path, change: Callable[[dict], None]) -> Path:
    data = yaml.safe_load(INTAKE_EXAMPLE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "indberetning.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


BAD_INTAKES = [
    (
        "NUL in the title",
        lambda d: d.update(title="Værksted\x00"),
        "title: indeholder kontroltegnet U+0000 (tegn nr. 9)",
    ),
    (
        "ESC in the summary",
        lambda d: d.update(summary="Et \x1b[31mrødt\x1b[0m resumé."),
        "summary: indeholder kontroltegnet U+001B",
    ),
    (
        "a 30,000-character section",
        lambda d: d["sections"].update(purpose="Formål. " * 3750),
        "sections.purpose: må højst være 20000 tegn (er 29999)",
    ),
    (
        "a very long submitter",
        lambda d: d.update(submitted_by="Eva " * 2000),
        "submitted_by: må højst være 5000 tegn",
    ),
    (
        "a budget beyond the bigint column",
        lambda d: d.update(budget_dkk="99999999999999999999"),
        "budget_dkk: skal være et helt tal fra 0 til 9223372036854775807",
    ),
    (
        "a contact's name as a list",
        lambda d: d["contacts"][0].update(name=["Eva", "Eksempel"]),
        "contacts[1].name: skal være tekst, ikke en liste",
    ),
    (
        "a municipality as a list",
        lambda d: d.update(municipalities=[["Horsens"]]),
        "municipalities: skal være en liste af navne, ikke en liste",
    ),
    (
        "a legal basis as text",
        lambda d: d.update(legal_basis="SEL § 104"),
        "legal_basis: skal være en liste",
    ),
    (
        "a year beyond its column",
        lambda d: d.update(period_start=99999),
        "period_start: skal være et helt tal fra 0 til 32767 (ikke 99999)",
    ),
    (
        "a title longer than its column",
        lambda d: d.update(title="T" * 251),
        "title: må højst være 250 tegn (er 251)",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [c[1:] for c in BAD_INTAKES], ids=[c[0] for c in BAD_INTAKES]
)
def test_a_hostile_intake_is_refused_in_danish_and_nothing_is_loaded(
    tmp_path, capsys, change, message
):
    path = intake_file(tmp_path, change)
    count = Intervention.objects.count()
    with pytest.raises(CommandError, match="fejl i"):
        call_command("check_intake", path)
    assert message in capsys.readouterr().err
    with pytest.raises(CommandError, match="intet er indlæst"):
        call_command("load_intake", path)
    assert message in capsys.readouterr().err
    assert Intervention.objects.count() == count


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "-: filen er tom"),
        (
            'title: "A"\ntitle: "B"\n',
            "title: feltet title står to gange i linje 2, kolonne 1",
        ),
        (
            "summary: &s Resumé\ntitle: *s\n",
            "summary: YAML-anker &s i linje 1, kolonne 10 er ikke tilladt",
        ),
        ("x" * (intake.MAX_INTAKE_BYTES + 1), "-: filen er større end 1048576 byte"),
    ],
    ids=["0 bytes", "a key twice", "an anchor", "too large"],
)
def test_an_intake_file_beyond_the_format_is_refused_in_danish(tmp_path, capsys, text, message):
    path = tmp_path / "indberetning.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="fejl i"):
        call_command("check_intake", path)
    assert message in capsys.readouterr().err


def test_a_billion_laughs_intake_is_refused_without_expanding_it(scratch_databases, tmp_path):
    keys = ["title", "summary", "organisation", "budget_note", "funding_source", "sector"]
    keys += ["status", "regions", "methods"]
    path = tmp_path / "latter.yaml"
    path.write_text(billion_laughs(keys, "municipalities"), encoding="utf-8")
    result = run_limited(
        "check_intake",
        str(path),
        env=production_env(scratch_databases.url("loaded")),
    )
    assert_one_line_error(result, "title: YAML-anker &l0 i linje 1, kolonne 8 er ikke tilladt")


# --- The rules come from the models ---------------------------------------------------------------


def test_the_fixture_schema_covers_every_key_of_the_fixture_format():
    assert set(schema.INTERVENTION_FIELDS) == set(schema.ENTRY_KEYS)


def test_every_refusal_is_worded_for_curators_and_for_municipalities():
    assert intake.READ_DANISH.keys() == read.READ_MESSAGES.keys()
    assert intake.DANISH.kinds.keys() == schema.ENGLISH.kinds.keys()


def test_field_limits_are_read_from_the_model_and_the_same_on_every_database():
    from interventions.models import Contact, Municipality

    assert schema.field_limits(Municipality, "code").max_length == 3
    assert schema.field_limits(Contact, "email").max_length == 254
    budget = schema.field_limits(Intervention, "budget_dkk")
    assert (budget.min_value, budget.max_value) == (0, 2**63 - 1)
    year = schema.field_limits(Intervention, "period_start")
    assert (year.min_value, year.max_value) == (0, 32767)  # SQLite itself would take 2**63 - 1
    assert schema.field_limits(Intervention, "sector").choices == tuple(Intervention.Sector)
    assert schema.field_limits(Intervention, "summary").max_length == 2000
    assert schema.field_limits(Intervention, "purpose").max_length == schema.TEXT_MAX_LENGTH
    assert schema.field_limits(Intervention, "target_groups").required
    assert not schema.field_limits(Intervention, "status").required  # it has a default


# --- The database failing under a load ------------------------------------------------------------


def change_every_summary(fixtures_dir: Path) -> None:
    """Make a load of these fixtures write every entry."""
    for path in (fixtures_dir / "sources").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data.get("interventions") or []:
            entry["summary"] += " Ændret."
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def test_a_database_failure_during_a_load_is_one_line_and_changes_nothing(fixtures_copy, capsys):
    """The connection breaks after the load has written a while: a one-line CommandError."""
    change_every_summary(fixtures_copy)
    before = snapshot()
    written = []

    def cut_after_50_writes(execute, sql, params, many, context):
        # The savepoints are the test's own transaction: they keep working.
        if sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            return execute(sql, params, many, context)
        if sql.startswith(("INSERT", "UPDATE", "DELETE")) or written:
            written.append(sql)
            if len(written) > 50:
                raise OperationalError("server closed the connection unexpectedly\n\tdetails")
        return execute(sql, params, many, context)

    with (
        connection.execute_wrapper(cut_after_50_writes),
        pytest.raises(CommandError) as excinfo,
    ):
        call_command("load_catalogue", fixtures=fixtures_copy)
    message = str(excinfo.value)
    assert "\n" not in message
    assert "The database failed during the load (server closed the connection" in message
    assert "nothing of it was saved" in message
    assert snapshot() == before


LOAD_THAT_PAUSES = """
import sys, django
django.setup()
from django.core.management import execute_from_command_line
from django.db.models.signals import post_save
from interventions.models import Intervention

saved = []

def pause_half_way(sender, **kwargs):
    saved.append(1)
    if len(saved) == 90:
        print("HALF-WAY", flush=True)
        sys.stdin.readline()  # the test cuts the connection, then lets the load go on

post_save.connect(pause_half_way, sender=Intervention)
execute_from_command_line(["manage.py", "load_catalogue", "--fixtures", sys.argv[1]])
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a network cut needs a server")
def test_a_connection_cut_during_a_load_is_one_line_and_changes_nothing(
    scratch_databases, tmp_path
):
    s = connection.settings_dict
    port = int(s.get("PORT") or 5432)
    url = scratch_databases.create("cut", template="loaded")
    proxy = TcpProxy(s.get("HOST") or "127.0.0.1", port)
    proxy.restore()
    fixtures = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, fixtures)
    change_every_summary(fixtures)
    before = snapshot_of(url)
    process = subprocess.Popen(
        [sys.executable, "-c", LOAD_THAT_PAUSES, str(fixtures)],
        env=production_env(url.replace(f":{port}/", f":{proxy.port}/")),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "HALF-WAY"
        proxy.cut()
        _out, err = process.communicate("\n", timeout=120)
    finally:
        proxy.cut()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("CommandError: The database failed during the load (")
    time.sleep(0.5)  # let PostgreSQL notice the dead client
    assert snapshot_of(url) == before
