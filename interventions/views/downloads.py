"""Downloads of the current filtered list: CSV for spreadsheets, JSON in the export format.

Both take the list page's query string (the same InterventionFilter) and list published entries
in the list's order, in a constant number of queries whatever the number of rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from interventions import facets_registry
from interventions.curation.export import intervention_data
from interventions.facets_registry import Csv, Facet, Text
from interventions.facts import served_names
from interventions.listing.filters import InterventionFilter
from interventions.listing.run import Listing
from interventions.models import Intervention, ServedMunicipality

MULTI_VALUE_SEPARATOR = "; "
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _joined(values) -> str:
    return MULTI_VALUE_SEPARATOR.join(str(v) for v in values)


def _date(value) -> str:
    return value.isoformat() if value else ""


def _information_basis(obj: Intervention) -> str:
    return gettext("bekræftelse") if obj.information_is_confirmation else gettext("kilden")


# The columns that are no facet's, as (name, header, value); `link` is the absolute detail link
# with SLUG for the slug. Facets add theirs after the column their registry entry names.
# "Kommuner" (a facet's column) lists those that run the entry; "Betjente kommuner" those it
# serves, the editors' inferences marked. The dates say what they are (ADR 0012): the date of
# the information and its basis, the latest confirmation, the review against the source, and
# the last change in the catalogue, which is no date of the information.
FIXED_COLUMNS: list[tuple[str, Text, Callable[[Intervention, str], Any]]] = [
    ("title", _("Titel"), lambda o, link: o.title),
    ("organisation", _("Ejer/organisation"), lambda o, link: o.organisation),
    ("summary", _("Resumé"), lambda o, link: o.summary),
    ("served", _("Betjente kommuner"), lambda o, link: _joined(served_names(o, o.csv_served))),
    ("status_as_stated", _("Status som oplyst"), lambda o, link: o.status_as_stated),
    ("period", _("Periode"), lambda o, link: o.period_label),
    ("budget", _("Budget (kr.)"), lambda o, link: o.budget_dkk if o.budget_dkk is not None else ""),
    ("budget_note", _("Hvad beløbet dækker"), lambda o, link: o.budget_note),
    ("funding", _("Finansiering"), lambda o, link: o.funding_source),
    ("locator", _("Kildested"), lambda o, link: o.locator),
    ("link", _("Link"), lambda o, link: link.replace(SLUG, o.slug)),
    ("information_date", _("Oplysningernes dato"), lambda o, link: _date(o.information_date)),
    ("information_basis", _("Datoens grundlag"), lambda o, link: _information_basis(o)),
    ("confirmed", _("Bekræftet"), lambda o, link: _date(o.last_confirmed_on)),
    ("reviewed_on", _("Gennemgået mod kilden"), lambda o, link: _date(o.reviewed_on)),
    ("public_note", _("Bemærkning"), lambda o, link: o.public_note),
    (
        "updated",
        _("Ændret i kataloget"),
        lambda o, link: timezone.localtime(o.updated_at).date().isoformat(),
    ),
    ("id", _("Id"), lambda o, link: o.slug),
]


@dataclass(frozen=True)
class CsvColumn:
    name: str
    header: Text
    value: Callable[[Intervention, str], Any]


def _facet_value(facet: Facet, csv: Csv) -> Callable[[Intervention, str], Any]:
    """How a facet's column is written: its values' text, or its choice's label."""
    if not facet.is_vocabulary:
        labels = dict(facet.choices)
        attribute = facet.alias if facet.computed is not None else facet.field
        # A plain dict lookup: get_FOO_display() hashes the choices on every call, slow for many
        # rows.
        return lambda o, link: labels.get(getattr(o, attribute), "")
    relation = csv.relation or facet.relation
    text = csv.text
    if relation in _FOREIGN_KEYS:
        return lambda o, link: text(getattr(o, relation))
    return lambda o, link: _joined(text(row) for row in getattr(o, f"csv_{relation}"))


_FOREIGN_KEYS = {f.name for f in Intervention._meta.concrete_fields if f.is_relation}


def csv_columns() -> list[CsvColumn]:
    """Every column of the CSV download in order: the fixed ones, and each facet's after the
    column its registry entry names (the last, if none)."""
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


def _csv_rows(queryset):
    """The entries with every facet column's values: foreign keys joined, and each many-to-many
    relation as a plain list (`Prefetch(to_attr=...)`): Django's prefetch into managers builds a
    filtered queryset per entry and relation, most of a 1,000-row download's time."""
    related, prefetches = [], []
    for facet in facets_registry.facets():
        if facet.csv is None:
            continue
        if facet.computed is not None:
            queryset = queryset.annotate(**{facet.alias: facet.value_expression()})
        if not facet.is_vocabulary:
            continue
        relation = facet.csv.relation or facet.relation
        if relation in _FOREIGN_KEYS:
            related.append(relation)
        else:
            model = Intervention._meta.get_field(relation).related_model
            rows = facet.csv.rows() if facet.csv.rows else model._default_manager.all()
            prefetches.append(Prefetch(relation, queryset=rows, to_attr=f"csv_{relation}"))
    served = ServedMunicipality.objects.select_related("municipality")
    prefetches.append(Prefetch("served", queryset=served, to_attr="csv_served"))
    return queryset.select_related(*related).prefetch_related(*prefetches)


SLUG = "\x00slug\x00"  # stands for each row's slug in the detail link, reversed once


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
    text = "\n".join(str(line) for line in lines) + "\n"
    return filterset, HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


def _attachment(response: HttpResponse, extension: str) -> HttpResponse:
    filename = f"indsatser-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _site_root(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_safe
def download_csv(request: HttpRequest) -> HttpResponse:
    filterset, error = _filter(request)
    if error:
        return error
    link = _site_root(request) + reverse("interventions:detail", args=["slug"])
    link = link.replace("/slug/", f"/{SLUG}/")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # the BOM makes Excel read UTF-8, so Danish letters survive
    writer = csv.writer(response)
    columns = csv_columns()
    # The headers stay Danish in every language, as they always were: a spreadsheet's formulas
    # and an importer's mapping refer to them.
    with translation.override(settings.LANGUAGE_CODE):
        writer.writerow([str(column.header) for column in columns])
    for obj in _csv_rows(filterset.qs):
        writer.writerow([_cell(column.value(obj, link)) for column in columns])
    return _attachment(response, "csv")


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
    query = request.GET.urlencode()
    data = {
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "url": f"{base}{reverse('interventions:list')}" + (f"?{query}" if query else ""),
        "filters": _applied_filters(filterset),
        "count": len(entries),
        "interventions": entries,
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    return _attachment(response, "json")
