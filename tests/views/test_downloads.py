"""Downloads of the filtered list: an Excel workbook and a CSV that Danish Excel opens, a CSV for
tools, JSON in the export format."""

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.http import QueryDict
from django.utils import timezone

from interventions.curation.export import intervention_data
from interventions.listing.filters import InterventionFilter
from interventions.models import (
    Contact,
    Intervention,
    Municipality,
    Region,
    ServedMunicipality,
    TargetGroup,
)
from interventions.views.downloads import csv_columns
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db
CSV_URL = "/indsatser/download.csv"
JSON_URL = "/indsatser/download.json"
XLSX_URL = "/indsatser/download.xlsx"
HEADERS = [
    "Titel", "Ejer/organisation", "Resumé", "Kommuner", "Betjente kommuner", "Regioner",
    "Målgrupper", "Fagområder", "Paragraffer", "KKR-mål", "Metoder", "Status",
    "Status som oplyst", "Sektor", "Evaluering", "Periode", "Budget (kr.)", "Beløbets art",
    "Beløbet gælder for", "Hvad beløbet dækker", "Finansiering", "Kilde", "Kontakt", "Kildens år",
    "Kildested", "Link",
    "Oplysningernes dato", "Datoens grundlag", "Bekræftet", "Bekræftet af", "Aktualitet",
    "Gennemgået mod kilden", "Bemærkning", "Ændret i kataloget", "Id",
]  # fmt: skip


def filtered(query: str):
    filterset = InterventionFilter(QueryDict(query), queryset=Intervention.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.with_relations()


def csv_rows(client, query: str = "", delimiter: str = ";") -> list[dict[str, str]]:
    response = client.get(f"{CSV_URL}?{query}")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    text = response.content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, *rows = list(reader)
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_is_an_attachment_named_by_date(client):
    response = client.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="indsatser-{today}.csv"'


def test_the_columns_are_the_documented_danish_headers():
    assert [str(column.header) for column in csv_columns()] == HEADERS


def test_the_csv_is_separated_by_semicolons_as_danish_excel_expects(client):
    first_line = client.get(CSV_URL).content.decode("utf-8-sig").split("\r\n")[0]
    assert first_line.startswith("Titel;Ejer/organisation;Resumé;")


def test_sep_comma_gives_the_same_rows_separated_by_commas_for_tools(client):
    query = "target_group=hjemloese&sort=-information"
    first_line = client.get(f"{CSV_URL}?sep=,").content.decode("utf-8-sig").split("\r\n")[0]
    assert first_line.startswith("Titel,Ejer/organisation,Resumé,")
    assert csv_rows(client, f"{query}&sep=,", delimiter=",") == csv_rows(client, query)


@pytest.mark.parametrize("sep", ["x", "tab", ";;"])
def test_an_unknown_separator_is_refused_in_danish(client, sep):
    response = client.get(CSV_URL, {"sep": sep})
    assert response.status_code == 400
    assert "Skilletegnet skal være ; (semikolon) eller , (komma)." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "target_group=hjemloese",
        "q=bostøtte",
        "region=region-midtjylland&sort=-budget",
        "freshness=never_confirmed&sort=-information",
    ],
)
def test_csv_has_the_filtered_entries_in_the_list_order(client, query):
    expected = [o.slug for o in filtered(query)]
    assert expected
    assert [row["Id"] for row in csv_rows(client, query)] == expected


def test_multi_valued_fields_are_joined_with_semicolons(client):
    obj = InterventionFactory(
        title="Flere værdier",
        target_groups=TargetGroup.objects.filter(slug__in=["hjemloese", "voksne-med-autisme"]),
        municipalities=Municipality.objects.filter(slug__in=["aarhus", "horsens"]),
        paragraphs=["SEL § 85", "SEL § 107"],
    )
    row = next(r for r in csv_rows(client) if r["Id"] == obj.slug)
    assert row["Målgrupper"] == "Hjemløse; Voksne med autisme"
    assert row["Kommuner"] == "Aarhus; Horsens"
    assert row["Paragraffer"] == "SEL § 85; SEL § 107"
    assert row["Link"] == f"http://testserver/indsatser/{obj.slug}/"


def test_danish_letters_round_trip(client):
    title = "Æblegrød på Ærø: særlig støtte til ældre, “citater”, og komma"
    obj = InterventionFactory(title=title, organisation="Ærø Kommune; Sønderborg")
    row = next(r for r in csv_rows(client) if r["Id"] == obj.slug)
    assert row["Titel"] == title
    assert row["Ejer/organisation"] == "Ærø Kommune; Sønderborg"


def test_labels_period_and_budget_are_readable(client):
    obj = InterventionFactory(
        status=Intervention.Status.RUNNING,
        period_start=2019,
        period_end=2021,
        budget_dkk=1_250_000,
        budget_note="Til to medarbejdere",
        budget_kind=Intervention.BudgetKind.PER_YEAR,
        budget_first_year=2019,
    )
    open_ended = InterventionFactory(period_start=2020)
    rows = {r["Id"]: r for r in csv_rows(client)}
    row = rows[obj.slug]
    assert (row["Status"], row["Sektor"]) == ("I drift", "Kommunal")
    assert (row["Periode"], row["Budget (kr.)"], row["Hvad beløbet dækker"]) == (
        "2019–2021", "1250000", "Til to medarbejdere",
    )  # fmt: skip
    assert (row["Beløbets art"], row["Beløbet gælder for"]) == ("Årligt beløb", "2019")
    assert rows[open_ended.slug]["Periode"] == "2020–"
    assert rows[open_ended.slug]["Budget (kr.)"] == ""


def test_a_cell_that_looks_like_a_formula_is_neutralised(client):
    obj = InterventionFactory(organisation='=HYPERLINK("http://example.com")')
    row = next(r for r in csv_rows(client) if r["Id"] == obj.slug)
    assert row["Ejer/organisation"] == '\'=HYPERLINK("http://example.com")'


def served_and_confirmed() -> Intervention:
    entry = InterventionFactory(
        title="Betjent og bekræftet",
        status=Intervention.Status.RUNNING,
        reviewed_on=datetime.date(2026, 11, 22),
        public_note="Kilden er uklar om perioden.",
        editorial_note="INTERN-NOTE-zyx seed 003 l.6443",
        municipalities=Municipality.objects.filter(slug="aarhus"),
    )
    ServedMunicipality.objects.create(
        intervention=entry, municipality=Municipality.objects.get(slug="herning")
    )
    ServedMunicipality.objects.create(
        intervention=entry,
        municipality=Municipality.objects.get(slug="skive"),
        basis=ServedMunicipality.Basis.EDITORS,
    )
    confirm(entry, CONFIRMED_ON, by="Aarhus Kommune")
    return entry


CONFIRMED_ON = timezone.localdate() - datetime.timedelta(days=40)


def test_the_csv_says_who_runs_and_who_is_served_and_how_old_the_information_is(client):
    entry = served_and_confirmed()
    row = next(r for r in csv_rows(client) if r["Id"] == entry.slug)
    assert row["Kommuner"] == "Aarhus"
    assert row["Betjente kommuner"] == "Herning; Skive (redaktionens vurdering)"
    assert row["Regioner"] == "Region Midtjylland"  # through its municipalities
    assert row["Status"] == "I drift"
    assert row["Status som oplyst"] == f"I drift, bekræftet {CONFIRMED_ON.year}"
    assert row["Oplysningernes dato"] == CONFIRMED_ON.isoformat()
    assert row["Datoens grundlag"] == "bekræftelse"
    assert row["Bekræftet"] == CONFIRMED_ON.isoformat()
    assert row["Bekræftet af"] == "Aarhus Kommune (E-mail)"
    assert row["Aktualitet"] == "Bekræftet inden for 2 år"
    assert row["Gennemgået mod kilden"] == "2026-11-22"
    assert row["Bemærkning"] == "Kilden er uklar om perioden."
    assert "INTERN-NOTE" not in client.get(CSV_URL).content.decode("utf-8-sig")


def test_an_unconfirmed_csv_row_dates_its_information_from_the_source(client):
    entry = InterventionFactory(status=Intervention.Status.RUNNING, period_start=2015)
    row = next(r for r in csv_rows(client) if r["Id"] == entry.slug)
    assert row["Status som oplyst"] == "I drift ifølge kilden (2016)"
    assert (row["Oplysningernes dato"], row["Datoens grundlag"]) == ("2016-01-01", "kilden")
    assert (row["Bekræftet"], row["Bekræftet af"]) == ("", "")
    assert row["Aktualitet"] == "Ældre oplysninger, aldrig bekræftet"
    assert row["Kildens år"] == str(entry.source.year)
    # The catalogue's change time is named as such: it is not the date of the information.
    assert row["Ændret i kataloget"] == timezone.localdate().isoformat()


def test_the_regions_column_names_every_region_the_region_filter_used(client):
    """A region holds the entries it names, those of its municipalities and those serving its
    municipalities: the column says so, so no row of a region's download has it empty."""
    rows = csv_rows(client, "region=region-midtjylland")
    assert len(rows) > 100
    assert all("Region Midtjylland" in row["Regioner"] for row in rows)
    served_only = InterventionFactory(title="Kun betjent", municipalities=[])
    ServedMunicipality.objects.create(
        intervention=served_only, municipality=Municipality.objects.get(slug="aalborg")
    )
    named = InterventionFactory(title="Nævner selv", municipalities=[])
    named.regions.set(Region.objects.filter(slug="region-sjaelland"))
    by_slug = {row["Id"]: row for row in csv_rows(client)}
    assert by_slug[served_only.slug]["Regioner"] == "Region Nordjylland"
    assert by_slug[named.slug]["Regioner"] == "Region Sjælland"


def test_the_contact_column_lists_the_contacts_and_not_the_people_the_source_met(client):
    entry = InterventionFactory(title="Med kontakt")
    Contact.objects.create(
        intervention=entry, name="Anne Hansen", role="Leder", email="ah@aarhus.dk", order=1
    )
    Contact.objects.create(
        intervention=entry, name="Bo Mødedeltager", kind=Contact.Kind.MEETING_PARTICIPANT, order=2
    )
    row = next(r for r in csv_rows(client) if r["Id"] == entry.slug)
    assert row["Kontakt"] == "Anne Hansen, Leder, ah@aarhus.dk"


def test_the_csv_filters_by_freshness_and_by_served_municipality(client):
    entry = served_and_confirmed()
    assert [r["Id"] for r in csv_rows(client, "freshness=confirmed")] == [entry.slug]
    assert entry.slug in [r["Id"] for r in csv_rows(client, "municipality=herning")]
    assert entry.slug in [r["Id"] for r in csv_rows(client, "municipality=aarhus")]


# --- Excel ---------------------------------------------------------------------------------------


def workbook(client, query: str = ""):
    response = client.get(f"{XLSX_URL}?{query}")
    assert response.status_code == 200, response.content[:300]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def sheet_rows(book) -> list[dict]:
    header, *rows = book["Indsatser"].iter_rows(values_only=True)
    assert list(header) == HEADERS
    return [dict(zip(header, row, strict=True)) for row in rows]


def page_slugs(client, query: str) -> list[str]:
    """The entries the list page shows for a query, page after page, in its order."""
    slugs, number = [], 1
    while True:
        response = client.get(f"/indsatser/?{query}&page={number}")
        page = response.context["page"]
        slugs += [entry.slug for entry in page.object_list]
        if not page.has_next():
            return slugs
        number += 1


def test_the_excel_file_is_an_attachment_named_by_date(client):
    response = client.get(XLSX_URL)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="indsatser-{today}.xlsx"'


@pytest.mark.parametrize(
    "query",
    [
        "region=region-midtjylland",
        "target_group=hjemloese&target_group=unge-15-25",
        "q=bostøtte",
        "has_budget=true&sort=-budget",
        "freshness=never_confirmed&sort=-information",
    ],
)
def test_the_excel_file_has_the_rows_the_page_shows_in_its_order(client, query):
    expected = page_slugs(client, query)
    assert expected
    assert [row["Id"] for row in sheet_rows(workbook(client, query))] == expected


def test_the_excel_file_has_the_csvs_columns_and_values_typed(client):
    entry = served_and_confirmed()
    entry.refresh_from_db()  # with the confirmation's date
    entry.budget_dkk = 1_250_000
    entry.save()
    rows = {row["Id"]: row for row in sheet_rows(workbook(client))}
    row = rows[entry.slug]
    assert row["Budget (kr.)"] == 1_250_000  # a number Excel can sum
    assert row["Oplysningernes dato"].date() == CONFIRMED_ON  # a date Excel can sort
    assert row["Gennemgået mod kilden"].date() == datetime.date(2026, 11, 22)
    assert row["Regioner"] == "Region Midtjylland"
    assert row["Betjente kommuner"] == "Herning; Skive (redaktionens vurdering)"
    text = {k: v for k, v in csv_rows_by_id(client)[entry.slug].items() if v}
    for header, value in text.items():
        if header not in ("Budget (kr.)", "Oplysningernes dato", "Bekræftet", "Kildens år",
                          "Gennemgået mod kilden", "Ændret i kataloget"):  # fmt: skip
            assert row[header] == value, header


def csv_rows_by_id(client) -> dict[str, dict[str, str]]:
    return {row["Id"]: row for row in csv_rows(client)}


def test_the_excel_sheet_is_ready_to_read_header_frozen_columns_sized_titles_linked(client):
    sheet = workbook(client, "target_group=hjemloese")["Indsatser"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    widths = {
        cell.column_letter: sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]
    }
    assert all(8 <= width <= 60 for width in widths.values())
    assert widths["C"] == 60  # the summary, wide but bounded
    link_column = HEADERS.index("Link") + 1
    for row in sheet.iter_rows(min_row=2):
        title, link = row[0], row[link_column - 1]
        assert title.hyperlink.target == link.value
        assert link.value.startswith("http://testserver/indsatser/")


def test_the_excel_file_says_what_was_downloaded(client):
    book = workbook(client, "region=region-midtjylland&q=bolig")
    about = dict(book["Om udtrækket"].iter_rows(values_only=True))
    assert about["Antal indsatser"] == book["Indsatser"].max_row - 1
    assert about["Liste"] == "http://testserver/indsatser/?region=region-midtjylland&q=bolig"
    assert about["Region (region)"] == "region-midtjylland"
    assert about["Søg (q)"] == "bolig"


def test_a_cell_that_looks_like_a_formula_stays_text_in_excel(client):
    obj = InterventionFactory(organisation='=HYPERLINK("http://example.com")', summary="a\x01b")
    response = client.get(XLSX_URL)
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    row = next(r for r in sheet_rows(book) if r["Id"] == obj.slug)
    assert row["Ejer/organisation"] == '=HYPERLINK("http://example.com")'
    assert row["Resumé"] == "ab"  # a character XML cannot hold is left out, no 500
    sheet = book["Indsatser"]
    cell = next(r[1] for r in sheet.iter_rows(min_row=2) if r[-1].value == obj.slug)
    assert cell.data_type == "s"


def test_an_empty_result_offers_no_download(client):
    html = client.get("/indsatser/", {"q": "zyxkvantumfindesikke"}).content.decode()
    assert "Hent udvalget" not in html
    assert XLSX_URL not in html and CSV_URL not in html


# --- JSON ----------------------------------------------------------------------------------------


def test_the_json_download_carries_the_age_and_never_the_internal_note(client):
    entry = served_and_confirmed()
    response = client.get(JSON_URL, {"municipality": "herning"})
    assert "INTERN-NOTE" not in response.content.decode()
    data = next(i for i in json.loads(response.content)["interventions"] if i["slug"] == entry.slug)
    assert data["information_date"] == CONFIRMED_ON.isoformat()
    assert data["information_basis"] == "confirmation"
    assert data["confirmed"] == CONFIRMED_ON.isoformat()
    assert data["freshness"] == "confirmed"
    assert data["reviewed_on"] == "2026-11-22"
    assert data["status"] == "running"
    assert data["municipalities"] == ["Aarhus"]
    assert [(s["name"], s["basis"]) for s in data["served_municipalities"]] == [
        ("Herning", "source"),
        ("Skive", "editors"),
    ]
    assert data["confirmations"] == [
        {
            "confirmed_on": CONFIRMED_ON.isoformat(),
            "confirmed_by": "Aarhus Kommune",
            "method": "email",
        }
    ]


def test_json_is_the_export_format_of_the_filtered_list(client):
    query = "target_group=hjemloese&q=bolig&sort=-updated"
    response = client.get(f"{JSON_URL}?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="indsatser-{today}.json"'
    body = json.loads(response.content)
    expected = [intervention_data(o, "http://testserver") for o in filtered(query)]
    assert expected
    assert body["interventions"] == expected
    assert body["count"] == len(expected)
    assert body["filters"] == {"q": "bolig", "target_group": ["hjemloese"], "sort": "-updated"}
    assert body["url"] == f"http://testserver/indsatser/?{query}"
    assert body["generated_at"].startswith(today)


def test_json_keeps_danish_letters_unescaped(client):
    content = client.get(JSON_URL, {"q": "bostøtte"}).content.decode()
    assert "bostøtte" in content and "\\u00f8" not in content


# --- Shared behaviour ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL, XLSX_URL])
def test_drafts_are_never_downloaded(client, url):
    draft = InterventionFactory(title="Hemmeligt udkast", is_published=False)
    assert draft.slug.encode() not in client.get(url).content


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL, XLSX_URL])
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"target_group": "findes-ikke"}, "Målgruppe (target_group)"),
        ({"sort": "hemmelig"}, "Sortering (sort)"),
        ({"q": "%%%"}, "Søg (q)"),
        ({"has_budget": "kanske"}, "Med oplyst budget (has_budget)"),
    ],
)
def test_invalid_filters_give_400_with_a_danish_message(client, url, query, named):
    response = client.get(url, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("Filtrene i adressen kunne ikke bruges:")
    assert named in text


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL, XLSX_URL])
def test_downloads_are_read_only(client, url):
    assert client.post(url).status_code == 405


def test_the_list_page_links_to_every_download_with_its_filters(client):
    html = client.get("/indsatser/?target_group=hjemloese&sector=kommunal&page=2").content.decode()
    assert f'href="{XLSX_URL}?target_group=hjemloese&amp;sector=kommunal"' in html
    assert f'href="{CSV_URL}?target_group=hjemloese&amp;sector=kommunal"' in html
    assert f'href="{CSV_URL}?target_group=hjemloese&amp;sector=kommunal&amp;sep=%2C"' in html
    assert f'href="{JSON_URL}?target_group=hjemloese&amp;sector=kommunal"' in html
    assert f'href="{CSV_URL}"' in client.get("/indsatser/").content.decode()


# --- A constant number of queries ----------------------------------------------------------------

# The entries with their source (and section), then one query per relation shown: ten in the
# CSV and the Excel file (the served municipalities since ADR 0012: 8 -> 9; contacts and
# confirmations since ADR 0014: 9 -> 11; the regions through municipalities are joined to those
# queries, no more), eleven in the JSON (InterventionQuerySet.with_relations; the requests an
# owner left unanswered since ADR 0015: 11 -> 12).
DOWNLOAD_QUERIES = {CSV_URL: 11, XLSX_URL: 11, JSON_URL: 12}
# A search's own lookups beside the rows (search.query.ranked): one per pattern ("zyxkvantum":
# one) and the count of published entries its scores are weighed by; was 0 when the search was a
# filter of the rows' query. Its kept words, names and places are read before (warm).
SEARCH_LOOKUPS = 2


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL, XLSX_URL])
@pytest.mark.parametrize("rows", [1, 30])
def test_a_download_takes_the_same_queries_for_one_row_or_many(
    client, django_assert_num_queries, url, rows
):
    for n in range(rows):
        InterventionFactory(
            title=f"Tællesag {n}",
            summary="zyxkvantum",
            paragraphs=["SEL § 85"],
            municipalities=Municipality.objects.all()[:3],
        )
    client.get(url, {"q": "bolig"})  # the search's kept lexicon, names and places
    with django_assert_num_queries(DOWNLOAD_QUERIES[url] + SEARCH_LOOKUPS):
        response = client.get(url, {"q": "zyxkvantum"})
    if url == XLSX_URL:
        assert len(sheet_rows(openpyxl.load_workbook(io.BytesIO(response.content)))) == rows
    else:
        assert response.content.count(b"zyxkvantum") >= rows
