"""Reading a fixtures folder (curation/read.py): each file it cannot use is one problem, named by
file, entry and field. The hostile YAML itself (aliases, huge files, ...) is in
test_hostile_input.py; here is every problem read_fixtures() reports of its own."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from interventions.curation.read import (
    READ_MESSAGES,
    VOCABULARY_FILES,
    InputRefused,
    Item,
    field_path,
    read_fixtures,
    read_yaml,
)


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, target)
    return target


def problems_of(folder: Path) -> list[str]:
    return [str(p) for p in read_fixtures(folder)[1]]


def test_the_curated_folder_reads_without_problems(folder):
    fixtures, problems = read_fixtures(folder)
    assert problems == []
    assert set(fixtures.vocabularies) == set(VOCABULARY_FILES)
    assert len(fixtures.interventions()) == 186


def test_a_missing_vocabulary_file(folder):
    (folder / "vocabularies" / "methods.yaml").unlink()
    assert problems_of(folder) == ["vocabularies/methods.yaml · - · -: the file is missing"]


def test_a_vocabulary_file_of_the_wrong_shape(folder):
    (folder / "vocabularies" / "legal_paragraphs.yaml").write_text("- SEL\n- ABL\n")
    (folder / "vocabularies" / "regions.yaml").write_text("Region Midtjylland: 1082\n")
    assert problems_of(folder) == [
        "vocabularies/regions.yaml · - · -: expected a list at the top level",
        "vocabularies/legal_paragraphs.yaml · - · -: expected a dict at the top level",
    ]


@pytest.mark.parametrize("text", ["- one\n- two\n", "interventions: []\n", "source: 2015\n"])
def test_a_source_file_without_its_source(folder, text):
    (folder / "sources" / "zz-ny.yaml").write_text(text)
    assert problems_of(folder) == [
        "sources/zz-ny.yaml · - · source: a source file is a mapping with a 'source' key"
    ]


def test_unknown_top_level_keys_are_named(folder):
    (folder / "sources" / "zz-ny.yaml").write_text("source: dassos-2015\nnoter: x\nbilag: y\n")
    assert problems_of(folder) == ["sources/zz-ny.yaml · - · bilag, noter: unknown top-level key"]


def test_a_list_that_is_not_a_list(folder):
    (folder / "sources" / "zz-ny.yaml").write_text("source: dassos-2015\nguidance: ingen\n")
    fixtures, problems = read_fixtures(folder)
    assert [str(p) for p in problems] == ["sources/zz-ny.yaml · - · guidance: must be a list"]
    assert ("sources/zz-ny.yaml", {"source": "dassos-2015", "guidance": []}) in fixtures.sources


def test_a_refusal_inside_a_vocabulary_row_names_the_row(folder):
    path = folder / "vocabularies" / "methods.yaml"
    rows = len(yaml.safe_load(path.read_text(encoding="utf-8"))) + 1  # the new row is the last
    path.write_text(path.read_text(encoding="utf-8") + "- slug: ny\n  name: Ny\n  name: Ny igen\n")
    [problem] = problems_of(folder)
    assert problem.startswith(
        f"vocabularies/methods.yaml · #{rows} · name: the key name is given twice at line "
    )


def test_a_refusal_inside_an_entry_names_the_entry_and_field(folder):
    (folder / "sources" / "zz-ny.yaml").write_text(
        "source: dassos-2015\n"
        "sections:\n- code: ny-sektion\n  name: &n Ny\n"
        "interventions:\n- slug: ny-indsats\n  contacts:\n  - name: A\n    name: B\n"
    )
    assert problems_of(folder) == [
        "sources/zz-ny.yaml · section ny-sektion · name: YAML anchor &n at line 4, column 9: "
        "anchors are not allowed, write the value out where it is used"
    ]
    (folder / "sources" / "zz-ny.yaml").write_text(
        "source: dassos-2015\ninterventions:\n- slug: ny-indsats\n  contacts:\n  - name: A\n"
        "    name: B\n"
    )
    assert problems_of(folder) == [
        "sources/zz-ny.yaml · ny-indsats · contacts[1].name: the key name is given twice at "
        "line 6, column 5: the second would silently replace the first"
    ]


def test_a_refusal_outside_any_entry_names_the_file(folder):
    (folder / "sources" / "zz-ny.yaml").write_text("source: dassos-2015\nsource: dsr\n")
    assert problems_of(folder) == [
        "sources/zz-ny.yaml · - · source: the key source is given twice at line 2, column 1: "
        "the second would silently replace the first"
    ]


def test_a_file_that_cannot_be_read(tmp_path):
    with pytest.raises(InputRefused) as refused:
        read_yaml(tmp_path)  # a folder
    assert refused.value.code == "unreadable"
    assert refused.value.describe(READ_MESSAGES, "").startswith("cannot read the file: ")


def test_field_paths_count_list_items_from_one():
    assert field_path(("contacts", Item(0, None), "email")) == "contacts[1].email"
    assert field_path(()) == "-"
