"""The open dataset: the files validate (Frictionless, JSON Schema), describe each other and name
their version; /data/ explains them in Danish and English."""

import csv
import datetime
import io
import json

import jsonschema
import pytest
from django.core.management import call_command
from django.utils import timezone
from frictionless import validate

from interventions.facts import FACTS
from interventions.models import Intervention, Municipality, ServedMunicipality
from interventions.views.data import dataset_version, export_schema
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return json.loads(response.content)


def write_package(client, tmp_path, csv_text: str | None = None):
    """datapackage.json and the CSV side by side, the resource pointing at the local file."""
    package = get_json(client, "/data/datapackage.json")
    response = client.get("/data/indsatskataloget.csv")
    assert response.status_code == 200
    (tmp_path / "data.csv").write_text(csv_text or response.content.decode(), encoding="utf-8")
    package["resources"][0]["path"] = "data.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return tmp_path / "datapackage.json", response


def test_the_datapackage_validates_with_frictionless(client, tmp_path):
    path, _response = write_package(client, tmp_path)
    report = validate(str(path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_a_value_outside_the_described_ones_fails_validation(client, tmp_path):
    """The description is checked, not just parsed: a status the schema does not allow fails."""
    text = client.get("/data/indsatskataloget.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    rows[1][rows[0].index("status")] = "maaske"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path, _response = write_package(client, tmp_path, out.getvalue())
    assert not validate(str(path)).valid


def test_every_csv_column_is_described_and_every_entry_is_a_row(client):
    package = get_json(client, "/data/datapackage.json")
    fields = package["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in fields] == [fact.name for fact in FACTS]
    assert all(f["description"] and f["type"] for f in fields)
    status = next(f for f in fields if f["name"] == "status")
    assert status["constraints"]["enum"] == Intervention.Status.values
    text = client.get("/data/indsatskataloget.csv").content.decode()
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == [f["name"] for f in fields]
    published = Intervention.objects.published()
    assert sorted(row[0] for row in rows) == sorted(published.values_list("slug", flat=True))


def test_the_json_download_and_the_export_validate_against_the_schema(client, tmp_path):
    schema = get_json(client, "/data/schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    download = get_json(client, "/data/indsatskataloget.json")
    assert sorted(validator.iter_errors(download), key=str) == []
    out = tmp_path / "export.json"
    call_command("export_catalogue", output=out, base_url="https://indsatskataloget.dk")
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(exported)) == []
    assert len(download["interventions"]) == len(exported["interventions"])


def test_the_schema_is_closed_so_an_undescribed_field_fails():
    validator = jsonschema.Draft202012Validator(export_schema())
    data = {"interventions": [], "guidance": []}
    assert validator.is_valid(data)
    from interventions.curation.export import catalogue_data

    entry = catalogue_data()["interventions"][0]
    assert validator.is_valid({"interventions": [entry], "guidance": []})
    assert not validator.is_valid({"interventions": [{**entry, "new": 1}], "guidance": []})
    assert not validator.is_valid({"interventions": [{**entry, "status": "x"}], "guidance": []})


def test_dcat_describes_the_dataset_and_its_files(client):
    graph = get_json(client, "/data/dcat.jsonld")
    assert graph["@type"] == "dcat:Dataset"
    assert {t["@language"] for t in graph["dct:title"]} == {"da", "en"}
    # No licence the owner has not decided: a rights statement says so instead.
    assert "dct:license" not in graph
    assert "not yet decided" in graph["dct:rights"]["rdfs:label"]
    version, changed = dataset_version()
    assert graph["owl:versionInfo"] == version
    assert graph["dct:modified"]["@value"] == changed.isoformat(timespec="seconds")
    downloads = [d["dcat:downloadURL"]["@id"] for d in graph["dcat:distribution"]]
    assert len(downloads) == 3
    for url in downloads:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_downloads_name_their_version(client):
    version, _changed = dataset_version()
    for url, extension in [
        ("/data/indsatskataloget.csv", "csv"),
        ("/data/indsatskataloget.json", "json"),
    ]:
        response = client.get(url)
        expected = f'attachment; filename="indsatskataloget-{version}.{extension}"'
        assert response["Content-Disposition"] == expected
    assert get_json(client, "/data/indsatskataloget.json")["dataset"]["version"] == version
    assert get_json(client, "/data/datapackage.json")["version"] == version


def test_the_page_explains_in_danish_and_english(client):
    danish = client.get("/data/")
    assert danish.status_code == 200
    body = danish.content.decode()
    for text in [
        "Licens",
        "Hvor ofte ændres data?",
        "Sådan henviser du til data",
        "datapackage.json",
    ]:
        assert text in body
    version, _changed = dataset_version()
    assert f"Indsatskataloget (version {version})" in body
    english = client.get("/en/data/").content.decode()
    for text in ["Licence", "How often does the data change?", "How to cite the data"]:
        assert text in english
    assert danish["ETag"] and danish["Cache-Control"].startswith("public")


def test_confirmed_and_served_entries_validate_and_the_internal_note_stays_out(client, tmp_path):
    entry = InterventionFactory(
        editorial_note="INTERN-NOTE-zyx seed 003 l.6443",
        public_note="En bemærkning til læserne.",
        reviewed_on=datetime.date(2026, 11, 22),
    )
    ServedMunicipality.objects.create(
        intervention=entry,
        municipality=Municipality.objects.get(slug="herning"),
        basis=ServedMunicipality.Basis.EDITORS,
    )
    confirm(entry, timezone.localdate() - datetime.timedelta(days=3), by="Testkommune")
    validator = jsonschema.Draft202012Validator(get_json(client, "/data/schema.json"))
    download = get_json(client, "/data/indsatskataloget.json")
    assert sorted(validator.iter_errors(download), key=str) == []
    exported = next(i for i in download["interventions"] if i["slug"] == entry.slug)
    assert exported["information_basis"] == "confirmation"
    assert exported["served_municipalities"][0]["basis"] == "editors"
    path, response = write_package(client, tmp_path)
    report = validate(str(path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    row = next(r for r in rows if r["slug"] == entry.slug)
    assert row["information_basis"] == "confirmation"
    assert row["freshness"] == "confirmed"
    assert row["reviewed_on"] == "2026-11-22"
    assert row["served_municipalities"] == "Herning (redaktionens vurdering)"
    assert row["public_note"] == "En bemærkning til læserne."
    for url in ("/data/indsatskataloget.json", "/data/indsatskataloget.csv"):
        assert "INTERN-NOTE" not in client.get(url).content.decode()


# --- The licence: stated only once the owner has decided it (settings.DATA_LICENCE) ---------------


def test_no_file_names_a_licence_the_owner_has_not_decided(client):
    package = get_json(client, "/data/datapackage.json")
    assert "licenses" not in package
    assert "not yet decided" in package["x-licence-note"]
    page = client.get("/data/").content.decode()
    assert "endnu ikke besluttet" in page
    assert "CC-BY" not in get_json(client, "/data/dcat.jsonld").__repr__()


def test_a_decided_licence_is_stated_in_every_file_the_page_and_the_footer(client, settings):
    settings.DATA_LICENCE = "CC-BY-4.0"
    package = get_json(client, "/data/datapackage.json")
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    graph = get_json(client, "/data/dcat.jsonld")
    assert graph["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    assert all(d["dct:license"] for d in graph["dcat:distribution"])
    html = client.get("/data/").content.decode()
    assert "må bruges efter" in html and "endnu ikke besluttet" not in html
    footer = client.get("/").content.decode().split('<footer class="site-footer">')[1]
    assert "Creative Commons Attribution 4.0" in footer
