"""Downloads of the current filtered list: CSV for spreadsheets, JSON in the export format.

Both take the list page's query string (the same InterventionFilter) and list published entries
in the list's order, in a constant number of queries whatever the number of rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from interventions.curation.export import intervention_data
from interventions.listing.filters import InterventionFilter
from interventions.models import (
    Intervention,
    KKRGoal,
    Method,
    Municipality,
    PolicyArea,
    Region,
    TargetGroup,
    legal_bases_in_order,
)

MULTI_VALUE_SEPARATOR = "; "
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _joined(values) -> str:
    return MULTI_VALUE_SEPARATOR.join(str(v) for v in values)


def _period(obj: Intervention) -> str:
    start, end = obj.period_start, obj.period_end
    if start and end:
        return str(start) if start == end else f"{start}–{end}"
    if start:
        return f"{start}–"
    return f"–{end}" if end else ""


# The CSV's related values come as plain lists (`Prefetch(to_attr=...)`): Django's prefetch into
# managers builds a filtered queryset per entry and relation, most of a 1,000-row download's time.
CSV_RELATIONS = {
    "municipalities": Municipality.objects.all(),
    "regions": Region.objects.all(),
    "target_groups": TargetGroup.objects.all(),
    "policy_areas": PolicyArea.objects.all(),
    "legal_bases": legal_bases_in_order(),
    "kkr_goals": KKRGoal.objects.all(),
    "methods": Method.objects.all(),
}


def _csv_rows(queryset):
    prefetches = [
        Prefetch(name, queryset=related, to_attr=f"csv_{name}")
        for name, related in CSV_RELATIONS.items()
    ]
    return queryset.select_related("source").prefetch_related(*prefetches)


# (header, value) for each CSV column; `link` is the absolute detail link with SLUG for the slug.
CSV_COLUMNS: list[tuple[str, Callable[[Intervention, str], Any]]] = [
    (_("Titel"), lambda o, link: o.title),
    (_("Ejer/organisation"), lambda o, link: o.organisation),
    (_("Resumé"), lambda o, link: o.summary),
    (_("Kommuner"), lambda o, link: _joined(m.name for m in o.csv_municipalities)),
    (_("Regioner"), lambda o, link: _joined(r.name for r in o.csv_regions)),
    (_("Målgrupper"), lambda o, link: _joined(o.csv_target_groups)),
    (_("Fagområder"), lambda o, link: _joined(o.csv_policy_areas)),
    (_("Paragraffer"), lambda o, link: _joined(b.paragraph.label for b in o.csv_legal_bases)),
    (_("KKR-mål"), lambda o, link: _joined(o.csv_kkr_goals)),
    (_("Metoder"), lambda o, link: _joined(o.csv_methods)),
    # The enums' labels: get_FOO_display() hashes the choices on every call, slow for many rows.
    (_("Status"), lambda o, link: Intervention.Status(o.status).label),
    (_("Sektor"), lambda o, link: Intervention.Sector(o.sector).label),
    (_("Evaluering"), lambda o, link: Intervention.EvaluationLevel(o.evaluation_level).label),
    (_("Periode"), lambda o, link: _period(o)),
    (_("Budget (kr.)"), lambda o, link: o.budget_dkk if o.budget_dkk is not None else ""),
    (_("Hvad beløbet dækker"), lambda o, link: o.budget_note),
    (_("Finansiering"), lambda o, link: o.funding_source),
    (_("Kilde"), lambda o, link: str(o.source)),
    (_("Kildested"), lambda o, link: o.locator),
    (_("Link"), lambda o, link: link.replace(SLUG, o.slug)),
    (_("Opdateret"), lambda o, link: timezone.localtime(o.updated_at).date().isoformat()),
    (_("Id"), lambda o, link: o.slug),
]
SLUG = "\x00slug\x00"  # stands for each row's slug in the detail link, reversed once


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def _filter(request: HttpRequest) -> tuple[InterventionFilter, HttpResponse | None]:
    filterset = InterventionFilter(request.GET, queryset=Intervention.objects.published())
    if filterset.is_valid():
        return filterset, None
    lines = [_("Filtrene i adressen kunne ikke bruges:")]
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
    writer.writerow([str(header) for header, _value in CSV_COLUMNS])
    for obj in _csv_rows(filterset.qs):
        writer.writerow([_cell(value(obj, link)) for _header, value in CSV_COLUMNS])
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
