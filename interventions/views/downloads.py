"""Downloads of the current filtered list: Excel (.xlsx), CSV and JSON in the export format.

All take the list page's query string (the same InterventionFilter) and list published entries
in the list's order, in a constant number of queries whatever the number of rows. The Excel file
and the CSV have the same columns (`download_columns()`); the CSV is separated by semicolons, as
Danish Excel expects when a file is opened by double-click, or by commas with `sep=,` for tools
(ADR 0014).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from interventions import facets_registry
from interventions.curation.export import intervention_data
from interventions.facets_registry import Csv, Facet, Membership, Text
from interventions.facts import served_names
from interventions.listing.filters import InterventionFilter
from interventions.listing.run import Listing
from interventions.models import Contact, Intervention, ServedMunicipality

MULTI_VALUE_SEPARATOR = "; "
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The CSV's separators: ";" opens in Danish Excel by double-click; "," is for tools (ADR 0014).
SEPARATORS = (";", ",")


def _joined(values) -> str:
    return MULTI_VALUE_SEPARATOR.join(str(v) for v in values)


def _information_basis(obj: Intervention) -> str:
    return gettext("bekræftelse") if obj.information_is_confirmation else gettext("kilden")


def _contact(contact: Contact) -> str:
    parts = (contact.name, contact.role, contact.organisation, contact.email, contact.phone)
    return ", ".join(part for part in parts if part)


def _contacts(obj: Intervention) -> str:
    """The people to contact as the source (or a confirmation) gives them; the people the source
    only met are no contacts (ADR 0012)."""
    return _joined(_contact(c) for c in obj.csv_contacts if c.kind == Contact.Kind.CONTACT)


def _confirmed_by(obj: Intervention) -> str:
    """Who confirmed the entry last, and how: "Aarhus Kommune (e-mail)"; "" if nobody has."""
    latest = max(obj.csv_confirmations, key=lambda c: (c.confirmed_on, c.pk), default=None)
    if latest is None:
        return ""
    return f"{latest.confirmed_by} ({latest.get_method_display()})"


# The columns that are no facet's, as (name, header, value); `link` is the absolute detail link
# with SLUG for the slug. Facets add theirs after the column their registry entry names.
# "Kommuner" (a facet's column) lists those that run the entry; "Betjente kommuner" those it
# serves, the editors' inferences marked; "Regioner" every region the region filter finds the
# entry in (its own, its municipalities' and its served municipalities'). The dates say what they
# are (ADR 0012): the date of the information and its basis, the latest confirmation and who
# gave it, the review against the source, and the last change in the catalogue, which is no date
# of the information. Values keep their type (a date, an amount): the CSV writes them as text,
# the Excel file as dates and numbers.
FIXED_COLUMNS: list[tuple[str, Text, Callable[[Intervention, str], Any]]] = [
    ("title", _("Titel"), lambda o, link: o.title),
    ("organisation", _("Ejer/organisation"), lambda o, link: o.organisation),
    ("summary", _("Resumé"), lambda o, link: o.summary),
    ("served", _("Betjente kommuner"), lambda o, link: _joined(served_names(o, o.csv_served))),
    ("status_as_stated", _("Status som oplyst"), lambda o, link: o.status_as_stated),
    ("period", _("Periode"), lambda o, link: o.period_label),
    ("budget", _("Budget (kr.)"), lambda o, link: o.budget_dkk),
    ("budget_years", _("Beløbet gælder for"), lambda o, link: o.budget_years_label),
    ("budget_note", _("Hvad beløbet dækker"), lambda o, link: o.budget_note),
    ("funding", _("Finansiering"), lambda o, link: o.funding_source),
    ("contacts", _("Kontakt"), lambda o, link: _contacts(o)),
    ("source_year", _("Kildens år"), lambda o, link: o.source.year),
    ("locator", _("Kildested"), lambda o, link: o.locator),
    ("link", _("Link"), lambda o, link: link.replace(SLUG, o.slug)),
    ("information_date", _("Oplysningernes dato"), lambda o, link: o.information_date),
    ("information_basis", _("Datoens grundlag"), lambda o, link: _information_basis(o)),
    ("confirmed", _("Bekræftet"), lambda o, link: o.last_confirmed_on),
    ("confirmed_by", _("Bekræftet af"), lambda o, link: _confirmed_by(o)),
    ("reviewed_on", _("Gennemgået mod kilden"), lambda o, link: o.reviewed_on),
    ("public_note", _("Bemærkning"), lambda o, link: o.public_note),
    (
        "updated",
        _("Ændret i kataloget"),
        lambda o, link: timezone.localtime(o.updated_at).date(),
    ),
    ("id", _("Id"), lambda o, link: o.slug),
]


@dataclass(frozen=True)
class CsvColumn:
    name: str
    header: Text
    value: Callable[[Intervention, str], Any]


def _ways(facet: Facet, spec: Csv) -> tuple[Membership, ...]:
    """How a vocabulary facet's column finds an entry's values: by the facet's membership (what
    its filter matches), or through one relation."""
    if spec.membership:
        return facet.ways
    return (Membership(spec.relation or facet.relation),)


def _linked(obj: Intervention, relation: str) -> Iterable[Any]:
    """The rows an entry links to through one of its relations, as `_download_rows` read them."""
    if relation == "served_municipalities":
        return [s.municipality for s in obj.csv_served]  # read once, with their basis
    if relation in _FOREIGN_KEYS:
        row = getattr(obj, relation)
        return [] if row is None else [row]
    return getattr(obj, f"csv_{relation}")


def _facet_value(facet: Facet, spec: Csv) -> Callable[[Intervention, str], Any]:
    """How a facet's column is written: its values' text, or its choice's label."""
    if not facet.is_vocabulary:
        labels = dict(facet.choices)
        attribute = facet.alias if facet.computed is not None else facet.field
        # A plain dict lookup: get_FOO_display() hashes the choices on every call, slow for many
        # rows.
        return lambda o, link: labels.get(getattr(o, attribute), "")
    text, ways = spec.text, _ways(facet, spec)
    if len(ways) == 1 and not ways[0].via:
        relation = ways[0].relation
        return lambda o, link: _joined(text(row) for row in _linked(o, relation))

    def members(o: Intervention, link: str) -> str:
        found = {}
        for way in ways:
            for row in _linked(o, way.relation):
                value = getattr(row, way.via) if way.via else row
                if value is not None:
                    found[value.pk] = text(value)
        return _joined(sorted(found.values()))

    return members


_FOREIGN_KEYS = {f.name for f in Intervention._meta.concrete_fields if f.is_relation}


def download_columns() -> list[CsvColumn]:
    """Every column of the CSV and Excel downloads in order: the fixed ones, and each facet's
    after the column its registry entry names (the last, if none)."""
    columns = [CsvColumn(name, header, value) for name, header, value in FIXED_COLUMNS]
    pending = [(f, f.csv) for f in facets_registry.facets() if f.csv is not None]
    while pending:
        left = []
        for facet, spec in pending:
            names = [c.name for c in columns]
            if spec.after and spec.after not in names:
                left.append((facet, spec))  # it follows another facet's column, not placed yet
                continue
            at = names.index(spec.after) + 1 if spec.after else len(columns)
            columns.insert(at, CsvColumn(facet.param, spec.header, _facet_value(facet, spec)))
        if len(left) == len(pending):
            missing = ", ".join(f"{f.param} (after {spec.after!r})" for f, spec in left)
            raise ImproperlyConfigured(f"CSV columns after no column: {missing}")
        pending = left
    return columns


csv_columns = download_columns  # the name the registry's documentation and its tests use


def _download_rows(queryset):
    """The entries with every column's values: foreign keys joined, and each many-to-many
    relation as a plain list (`Prefetch(to_attr=...)`), read once however many columns use it,
    with the foreign keys its columns follow joined (a municipality's region): Django's prefetch
    into managers builds a filtered queryset per entry and relation, most of a 1,000-row
    download's time."""
    related: list[str] = []
    reads: dict[str, tuple[QuerySet | None, set[str]]] = {}  # relation -> rows, joins
    served_joins: set[str] = set()
    for facet in facets_registry.facets():
        spec = facet.csv
        if spec is None:
            continue
        if facet.computed is not None:
            queryset = queryset.annotate(**{facet.alias: facet.value_expression()})
        if not facet.is_vocabulary:
            continue
        for way in _ways(facet, spec):
            relation = way.relation
            if relation == "served_municipalities":
                if way.via:
                    served_joins.add(f"municipality__{way.via}")
            elif relation in _FOREIGN_KEYS:
                related.append(way.path)
            else:
                rows, joins = reads.get(relation, (None, set()))
                if rows is None and spec.rows and relation == (spec.relation or facet.relation):
                    rows = spec.rows()
                reads[relation] = (rows, joins | ({way.via} if way.via else set()))
    prefetches = []
    for relation, (rows, joins) in reads.items():
        if rows is None:
            rows = Intervention._meta.get_field(relation).related_model._default_manager.all()
        if joins:
            rows = rows.select_related(*joins)
        prefetches.append(Prefetch(relation, queryset=rows, to_attr=f"csv_{relation}"))
    served = ServedMunicipality.objects.select_related("municipality", *served_joins)
    prefetches += [
        Prefetch("served", queryset=served, to_attr="csv_served"),
        Prefetch("contacts", queryset=Contact.objects.all(), to_attr="csv_contacts"),
        Prefetch("confirmations", to_attr="csv_confirmations"),
    ]
    return queryset.select_related("source", *related).prefetch_related(*prefetches)


SLUG = "\x00slug\x00"  # stands for each row's slug in the detail link, reversed once


def _text(value: Any) -> str:
    """A value as a CSV cell: dates in ISO form, no value as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def _filter(request: HttpRequest) -> tuple[InterventionFilter, HttpResponse | None]:
    filterset = Listing(request.GET).filterset
    if filterset.is_valid():
        return filterset, None
    lines = [gettext("Filtrene i adressen kunne ikke bruges:")]
    for name, messages in filterset.errors.items():
        label = filterset.filters[name].label if name in filterset.filters else name
        lines += [f"- {label} ({name}): {message}" for message in messages]
    return filterset, _bad_request(lines)


def _bad_request(lines: list) -> HttpResponse:
    text = "\n".join(str(line) for line in lines) + "\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


def _attachment(response: HttpResponse, extension: str) -> HttpResponse:
    filename = f"indsatser-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _site_root(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _detail_link(request: HttpRequest) -> str:
    """The absolute link of an entry's page, with SLUG for its slug."""
    link = _site_root(request) + reverse("interventions:detail", args=["slug"])
    return link.replace("/slug/", f"/{SLUG}/")


def _headers(columns: list[CsvColumn]) -> list[str]:
    # The headers stay Danish in every language, as they always were: a spreadsheet's formulas
    # and an importer's mapping refer to them.
    with translation.override(settings.LANGUAGE_CODE):
        return [str(column.header) for column in columns]


@require_safe
def download_csv(request: HttpRequest) -> HttpResponse:
    separator = request.GET.get("sep", ";")
    if separator not in SEPARATORS:
        return _bad_request(
            [
                gettext("Filtrene i adressen kunne ikke bruges:"),
                "- sep: " + gettext("Skilletegnet skal være ; (semikolon) eller , (komma)."),
            ]
        )
    filterset, error = _filter(request)
    if error:
        return error
    link = _detail_link(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # the BOM makes Excel read UTF-8, so Danish letters survive
    writer = csv.writer(response, delimiter=separator)
    columns = download_columns()
    writer.writerow(_headers(columns))
    for obj in _download_rows(filterset.qs):
        writer.writerow([_cell(_text(column.value(obj, link))) for column in columns])
    return _attachment(response, "csv")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE = "yyyy-mm-dd"
XLSX_DATETIME = "yyyy-mm-dd hh:mm"
XLSX_WIDTHS = (8, 60)  # the narrowest and widest column, in characters
XLSX_LINK = Font(color="0563C1", underline="single")  # Excel's own hyperlink look


def _xlsx_value(value: Any) -> Any:
    """A value as an Excel cell takes it: no characters XML cannot hold, "" for no value."""
    if value is None:
        return ""
    if isinstance(value, int | float | datetime.date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))  # also a lazily translated label


def _write_row(sheet, values: list[Any]) -> None:
    sheet.append([_xlsx_value(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":  # text that starts with "=" is kept as text, never run
            cell.data_type = "s"
        elif isinstance(cell.value, datetime.datetime):
            cell.number_format = XLSX_DATETIME
        elif isinstance(cell.value, datetime.date):
            cell.number_format = XLSX_DATE


def workbook(
    headers: list[str], rows: list[list[Any]], links: dict[int, int], about: list[tuple[str, Any]]
) -> bytes:
    """An .xlsx file: `rows` under `headers` on the sheet "Indsatser", each column `c` in
    `links` a hyperlink to the row's value in column `links[c]`; `about` as label and value
    lines on the sheet "Om udtrækket"."""
    book = Workbook()
    # The file is the same all day for the same data (as its name says, by date): a HEAD
    # request is told the GET's length, and a cached copy is the one a new request would get.
    day = datetime.datetime.combine(timezone.localdate(), datetime.time())
    book.properties.created = book.properties.modified = day
    sheet = book.active
    sheet.title = "Indsatser"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [len(header) for header in headers]
    for values in rows:
        _write_row(sheet, values)
        for at, value in enumerate(values):
            widths[at] = max(widths[at], len(_text(value)))
    for at, target in links.items():
        for row_cells in sheet.iter_rows(min_row=2, min_col=at + 1, max_col=at + 1):
            cell = row_cells[0]
            cell.hyperlink = rows[cell.row - 2][target]
            cell.font = XLSX_LINK
    low, high = XLSX_WIDTHS
    for at, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(at)].width = min(max(width + 2, low), high)
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    notes = book.create_sheet("Om udtrækket")
    for label, value in about:
        _write_row(notes, [label, value])
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            notes.cell(notes.max_row, 2).hyperlink = value
            notes.cell(notes.max_row, 2).font = XLSX_LINK
        notes.cell(notes.max_row, 1).font = Font(bold=True)
    notes.column_dimensions["A"].width = 40
    notes.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return _of_the_day(out.getvalue(), day)


def _of_the_day(content: bytes, day: datetime.datetime) -> bytes:
    """The workbook with every date in it set to `day`: openpyxl stamps the save's second as
    the document's modification time and each part's time in the zip, which changed the file's
    length from one second to the next (a HEAD must be told the GET's length)."""
    stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            info = zipfile.ZipInfo(part.filename, date_time=day.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return out.getvalue()


@require_safe
def download_xlsx(request: HttpRequest) -> HttpResponse:
    """The list as an Excel workbook: the entries on the first sheet (Danish headers, frozen
    header row, columns sized to their contents, titles and links that open the entry's page),
    and what was downloaded (the filters, the link, when) on a second."""
    filterset, error = _filter(request)
    if error:
        return error
    columns = download_columns()
    link = _detail_link(request)
    rows = [[column.value(obj, link) for column in columns] for obj in _download_rows(filterset.qs)]
    query = _without_format(request)
    about = [
        (gettext("Udtrukket"), timezone.localdate()),
        (gettext("Antal indsatser"), len(rows)),
        (gettext("Liste"), _list_url(request, query)),
        *((_filter_label(filterset, name), value) for name, value in _applied(filterset)),
    ]
    names = [column.name for column in columns]
    content = workbook(
        _headers(columns),
        rows,
        links={names.index("title"): names.index("link"), names.index("link"): names.index("link")},
        about=about,
    )
    return _attachment(HttpResponse(content, content_type=XLSX_TYPE), "xlsx")


def _without_format(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("sep", None)
    return params.urlencode()


def _list_url(request: HttpRequest, query: str) -> str:
    return f"{_site_root(request)}{reverse('interventions:list')}" + (f"?{query}" if query else "")


def _filter_label(filterset: InterventionFilter, name: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return f"{filterset.filters[name].label} ({name})"


def _applied(filterset: InterventionFilter) -> list[tuple[str, str]]:
    """The applied filters as (parameter, values joined), in the FilterSet's order."""
    return [
        (name, _joined(value) if isinstance(value, list) else value)
        for name, value in _applied_filters(filterset).items()
    ]


def _applied_filters(filterset: InterventionFilter) -> dict[str, str | list[str]]:
    applied = {}
    for name, filter_ in filterset.filters.items():
        if name in filterset.data:
            multiple = isinstance(filter_, django_filters.MultipleChoiceFilter)
            applied[name] = filterset.data.getlist(name) if multiple else filterset.data[name]
    return applied


@require_safe
def download_json(request: HttpRequest) -> HttpResponse:
    filterset, error = _filter(request)
    if error:
        return error
    base = _site_root(request)
    entries = [intervention_data(obj, base) for obj in filterset.qs.with_relations()]
    data = {
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "url": _list_url(request, request.GET.urlencode()),
        "filters": _applied_filters(filterset),
        "count": len(entries),
        "interventions": entries,
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    return _attachment(response, "json")
