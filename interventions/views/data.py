"""The catalogue as a described open dataset, under /data/.

- `/data/`: what the data is, its licence, how often it changes and how to cite it;
- `/data/indsatskataloget.json`: the whole published catalogue in the export format
  (interventions/curation/export.py), with the dataset's metadata;
- `/data/indsatskataloget.csv`: one row per published entry, one column per fact
  (interventions/facts.py);
- `/data/datapackage.json`: a Frictionless Data Package describing every CSV column;
- `/data/dcat.jsonld`: DCAT-AP metadata for open-data portals;
- `/data/schema.json`: the JSON Schema of the export format.

The URLs are stable; every file names the catalogue version it was made from (in its metadata
and its download file name), so a citation says exactly which data was used. The version is the
catalogue version every cached page is keyed by (interventions/caching/version.py).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from interventions.caching.page_cache import public_cache
from interventions.caching.version import catalogue_version
from interventions.curation.export import catalogue_data
from interventions.facts import FACTS
from interventions.models import (
    TEXT_SECTIONS,
    Confirmation,
    DatePrecision,
    Intervention,
    ServedMunicipality,
)

NAME = "indsatskataloget"
TITLE = {"da": "Indsatskataloget", "en": "The Danish catalogue of social-sector interventions"}
DESCRIPTION = {
    "da": (
        "Et kurateret katalog over indsatser på det sociale område i danske kommuner og regioner: "
        "hvem der driver dem, for hvem, efter hvilken paragraf, hvad de koster, og hvem man "
        "kontakter. Hver indsats er beskrevet ud fra et offentliggjort kildedokument og henviser "
        "til stedet i det."
    ),
    "en": (
        "A curated catalogue of social-sector interventions in Danish municipalities and regions: "
        "who runs them, for whom, under which legal paragraph, at what cost, and whom to contact. "
        "Every entry is described from a published source document and points to the place in it."
    ),
}
# The licences the owner may choose (settings.DATA_LICENCE); until one is chosen, no file names
# one: a licence the owner has not granted is no licence (ADR 0013).
LICENCES = {
    "CC-BY-4.0": {
        "name": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
    },
    "CC0-1.0": {
        "name": "CC0-1.0",
        "title": "Creative Commons Zero 1.0",
        "path": "https://creativecommons.org/publicdomain/zero/1.0/",
    },
}
PROPOSED_LICENCE = LICENCES["CC-BY-4.0"]
UNDECIDED = "The owner has not yet decided the data's licence; proposed: CC BY 4.0."


def data_licence() -> dict[str, str] | None:
    """The licence the owner has decided, or None."""
    return LICENCES.get(settings.DATA_LICENCE)


# EU vocabularies (publications.europa.eu authority tables) that DCAT-AP and DCAT-AP-DK use.
EU = "http://publications.europa.eu/resource/authority"
CSV_MEDIA_TYPE = "text/csv"
JSON_MEDIA_TYPE = "application/json"


def dataset_version() -> tuple[str, datetime]:
    """The catalogue version as a citable label (UTC, to the second) and as a time."""
    changed = datetime.fromtimestamp(catalogue_version() / 1_000_000_000, UTC)
    return changed.strftime("%Y.%m.%d.%H%M%S"), changed


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _urls(request: HttpRequest) -> dict[str, str]:
    site = _site(request)
    names = ("open_data", "data_json", "data_csv", "datapackage", "dcat", "export_schema")
    return {name: site + reverse(f"interventions:{name}") for name in names}


def citation(version: str, url: str) -> str:
    licence = data_licence()
    if licence is None:
        return f"Indsatskataloget (version {version}). {url}"
    return f"Indsatskataloget (version {version}). {licence['title']}. {url}"


def _download(response: HttpResponse, version: str, extension: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{NAME}-{version}.{extension}"'
    return response


def _json(data: Any, content_type: str = JSON_MEDIA_TYPE) -> HttpResponse:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return HttpResponse(text, content_type=f"{content_type}; charset=utf-8")


@public_cache
@require_safe
def open_data(request: HttpRequest) -> HttpResponse:
    version, changed = dataset_version()
    urls = _urls(request)
    context = {
        "version": version,
        "changed": changed,
        "urls": urls,
        "licence": data_licence(),
        "proposed_licence": PROPOSED_LICENCE,
        "citation": citation(version, urls["open_data"]),
        "count": Intervention.objects.published().count(),
        "facts": FACTS,
    }
    return render(request, "pages/open_data.html", context)


def dataset_metadata(request: HttpRequest) -> dict[str, Any]:
    version, changed = dataset_version()
    urls = _urls(request)
    return {
        "name": NAME,
        "title": TITLE["da"],
        "version": version,
        "catalogue_version": catalogue_version(),
        "modified": changed.isoformat(timespec="seconds"),
        "licence": data_licence(),
        "citation": citation(version, urls["open_data"]),
        "url": urls["open_data"],
        "schema": urls["export_schema"],
    }


@public_cache
@require_safe
def data_json(request: HttpRequest) -> HttpResponse:
    metadata = dataset_metadata(request)
    data = {"dataset": metadata, **catalogue_data(base_url=_site(request))}
    return _download(_json(data), metadata["version"], "json")


def csv_rows(request: HttpRequest):
    """The header and one row per published entry, in title order: one column per fact."""
    site = _site(request)
    yield [fact.name for fact in FACTS]
    for obj in Intervention.objects.published().with_relations().order_by("title", "slug"):
        row = []
        for fact in FACTS:
            value = fact.value(obj)
            if value is None:
                value = ""
            elif fact.format == "uri":
                value = site + value
            elif fact.type == "date":
                value = value.isoformat()
            row.append(value)
        yield row


@public_cache
@require_safe
def data_csv(request: HttpRequest) -> HttpResponse:
    version, _changed = dataset_version()
    response = HttpResponse(content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
    # No byte-order mark and no formula escaping: this file is data for programs, described
    # by datapackage.json (the list page's CSV download is the one made for spreadsheets).
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerows(csv_rows(request))
    return _download(response, version, "csv")


def table_schema() -> dict[str, Any]:
    """The CSV's Table Schema: every column's name, type, meaning and allowed values."""
    fields = []
    for fact in FACTS:
        described: dict[str, Any] = {
            "name": fact.name,
            "title": str(fact.label),
            "type": fact.type,
            "description": fact.description,
        }
        if fact.format != "default":
            described["format"] = fact.format
        constraints = dict(fact.constraints)
        if fact.enum:
            constraints["enum"] = list(fact.enum)
        if constraints:
            described["constraints"] = constraints
        fields.append(described)
    return {"fields": fields, "primaryKey": ["slug"], "missingValues": [""]}


@public_cache
@require_safe
def datapackage(request: HttpRequest) -> HttpResponse:
    metadata = dataset_metadata(request)
    urls = _urls(request)
    package = {
        "name": NAME,
        "title": TITLE["da"],
        "description": DESCRIPTION["en"],
        "version": metadata["version"],
        "created": metadata["modified"],
        "homepage": urls["open_data"],
        **({"licenses": [data_licence()]} if data_licence() else {"x-licence-note": UNDECIDED}),
        "keywords": ["socialområdet", "indsatser", "kommuner", "regioner", "serviceloven"],
        "resources": [
            {
                "name": "interventions",
                "title": TITLE["da"],
                "description": "One row per published entry, one column per fact.",
                "path": urls["data_csv"],
                "format": "csv",
                "mediatype": CSV_MEDIA_TYPE,
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": table_schema(),
            }
        ],
    }
    return _json(package)


def _text(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": value, "@language": language} for language, value in values.items()]


@public_cache
@require_safe
def dcat(request: HttpRequest) -> HttpResponse:
    """DCAT-AP (which DCAT-AP-DK profiles) as JSON-LD: the dataset and its three files."""
    metadata = dataset_metadata(request)
    urls = _urls(request)
    decided = data_licence()
    # Without a decided licence: a rights statement saying so, and no dct:license.
    licence = (
        {"dct:license": {"@id": decided["path"]}}
        if decided
        else {"dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": UNDECIDED}}
    )

    def distribution(key: str, title: str, media_type: str, file_type: str, **extra) -> dict:
        return {
            "@id": f"{urls['open_data']}#{key}",
            "@type": "dcat:Distribution",
            "dct:title": title,
            "dcat:accessURL": {"@id": urls["open_data"]},
            "dcat:downloadURL": {"@id": urls[key]},
            "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{media_type}"},
            "dct:format": {"@id": f"{EU}/file-type/{file_type}"},
            **licence,
            **extra,
        }

    graph = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "owl": "http://www.w3.org/2002/07/owl#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        },
        "@id": f"{urls['open_data']}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": urls["open_data"],
        "dct:title": _text(TITLE),
        "dct:description": _text(DESCRIPTION),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "Indsatskataloget"},
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": "Indsatskataloget",
            "vcard:hasURL": {"@id": _site(request) + reverse("interventions:about")},
        },
        **licence,
        "dct:accessRights": {"@id": f"{EU}/access-right/PUBLIC"},
        "dct:accrualPeriodicity": {"@id": f"{EU}/frequency/IRREG"},
        "dct:language": [{"@id": f"{EU}/language/DAN"}],
        "dct:spatial": [{"@id": f"{EU}/country/DNK"}],
        "dcat:theme": [{"@id": f"{EU}/data-theme/SOCI"}],
        "dcat:keyword": [
            {"@value": word, "@language": "da"}
            for word in ("socialområdet", "indsatser", "kommuner", "regioner", "serviceloven")
        ],
        "dct:modified": {"@value": metadata["modified"], "@type": "xsd:dateTime"},
        "owl:versionInfo": metadata["version"],
        "dcat:landingPage": {"@id": urls["open_data"]},
        "dcat:distribution": [
            distribution(
                "data_csv",
                "CSV",
                CSV_MEDIA_TYPE,
                "CSV",
                **{"dct:conformsTo": {"@id": urls["datapackage"]}},
            ),
            distribution(
                "data_json",
                "JSON",
                JSON_MEDIA_TYPE,
                "JSON",
                **{"dct:conformsTo": {"@id": urls["export_schema"]}},
            ),
            distribution("datapackage", "Frictionless Data Package", JSON_MEDIA_TYPE, "JSON"),
        ],
    }
    return _json(graph, "application/ld+json")


# --- The JSON Schema of the export format ---------------------------------------------------------


def _strings() -> dict:
    return {"type": "array", "items": {"type": "string"}}


def _nullable(kind: str, **rules) -> dict:
    return {"type": [kind, "null"], **rules}


def export_schema(base_url: str = "") -> dict[str, Any]:
    """The export format (interventions/curation/export.py) as a JSON Schema (draft 2020-12).

    Closed objects (no properties beyond those listed), so a field added to the export without
    its description here fails the test that validates the export against this schema.
    """
    text = {"type": "string"}
    year = _nullable("integer", minimum=1900, maximum=2100)
    intervention = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "slug",
            "title",
            "summary",
            "url",
            "source",
            "sector",
            "organisation",
            "status",
            "evaluation_level",
            "information_date",
            "information_basis",
            "confirmed",
            "freshness",
            "reviewed_on",
            "status_as_stated",
            "served_municipalities",
            "confirmations",
            "unanswered_request_on",
            "updated_at",
            "sections",
        ],
        "properties": {
            "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
            "title": {"type": "string", "minLength": 1},
            "alternative_titles": _strings(),
            "summary": text,
            "url": {"type": "string", "format": "uri-reference"},
            "source": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "key",
                    "title",
                    "publisher",
                    "year",
                    "published_on",
                    "published_precision",
                    "locator",
                ],
                "properties": {
                    "key": text,
                    "title": text,
                    "publisher": text,
                    "year": {"type": "integer"},
                    "published_on": {
                        "type": "string",
                        "format": "date",
                        "description": "The first day of the month or year the source gives.",
                    },
                    "published_precision": {"enum": DatePrecision.values},
                    "locator": text,
                    "section": _nullable("string"),
                    "lines": {
                        "type": ["array", "null"],
                        "items": _nullable("integer"),
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
            },
            "sector": {"enum": Intervention.Sector.values},
            "organisation": text,
            "municipalities": {
                **_strings(),
                "description": "The municipalities that run or co-run the entry.",
            },
            "served_municipalities": {
                "type": "array",
                "description": "Municipalities whose citizens the entry serves without running "
                "it, with the basis: stated in the source, or the editors' inference.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["slug", "name", "basis"],
                    "properties": {
                        "slug": text,
                        "name": text,
                        "basis": {"enum": ServedMunicipality.Basis.values},
                    },
                },
            },
            "regions": _strings(),
            "target_groups": _strings(),
            "policy_areas": _strings(),
            "kkr_goals": _strings(),
            "legal_paragraphs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["label", "law", "number", "stated_in_source"],
                    "properties": {
                        "label": text,
                        "law": text,
                        "number": text,
                        "title": text,
                        "url": text,
                        "stated_in_source": {
                            "type": "boolean",
                            "description": "true: the source states it; false: an editor "
                            "assigned it.",
                        },
                    },
                },
            },
            "methods": _strings(),
            "contacts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": text,
                        "role": text,
                        "organisation": text,
                        "email": text,
                        "phone": text,
                    },
                },
            },
            "budget_dkk": _nullable("integer", minimum=0),
            "budget_note": text,
            "budget_kind": {"enum": [*Intervention.BudgetKind.values, None]},
            "budget_first_year": year,
            "budget_last_year": year,
            "budget_price_year": year,
            "funding_source": text,
            "period_start": year,
            "period_end": year,
            "status": {"enum": Intervention.Status.values},
            "evaluation_level": {"enum": Intervention.EvaluationLevel.values},
            "information_date": {
                "type": "string",
                "format": "date",
                "description": "The date of the information: the source's publication or the "
                "latest confirmation, whichever is later.",
            },
            "information_basis": {
                "enum": ["source", "confirmation"],
                "description": "What the information date rests on.",
            },
            "confirmed": {
                **_nullable("string", format="date"),
                "description": "The latest confirmation's date; null: never confirmed.",
            },
            "freshness": {"enum": Intervention.Freshness.values},
            "reviewed_on": {
                **_nullable("string", format="date"),
                "description": "The day the editors reviewed the entry against its source; "
                "not a confirmation.",
            },
            "status_as_stated": {
                "type": "string",
                "description": "The status with its age, e.g. 'I drift ifølge kilden (2016)'.",
            },
            "public_note": text,
            "confirmations": {
                "type": "array",
                "description": "Confirmations, newest first: when, by whom, how.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["confirmed_on", "confirmed_by", "method"],
                    "properties": {
                        "confirmed_on": {"type": "string", "format": "date"},
                        "confirmed_by": text,
                        "method": {"enum": Confirmation.Method.values},
                    },
                },
            },
            "unanswered_request_on": {
                **_nullable("string", format="date"),
                "description": "The day the owner was last asked to confirm the entry and did "
                "not answer (since the latest confirmation); null when not. Never a confirmation.",
            },
            "updated_at": {
                "type": "string",
                "format": "date-time",
                "description": "When the entry last changed in the catalogue; not the date of "
                "its information.",
            },
            "sections": {
                "type": "object",
                "additionalProperties": False,
                "required": [section.key for section in TEXT_SECTIONS],
                "properties": {section.key: text for section in TEXT_SECTIONS},
            },
        },
    }
    guidance = {
        "type": "object",
        "additionalProperties": False,
        "required": ["source", "number", "title", "text"],
        "properties": {
            "source": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "title"],
                "properties": {"key": text, "title": text},
            },
            "number": {"type": "integer"},
            "group": text,
            "title": text,
            "text": text,
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}{reverse('interventions:export_schema')}",
        "title": "Indsatskataloget: the export format",
        "description": "The published catalogue as written by export_catalogue and "
        "/data/indsatskataloget.json; `dataset` (the download's metadata) only in the latter.",
        "type": "object",
        "additionalProperties": False,
        "required": ["interventions", "guidance"],
        "properties": {
            "dataset": {"type": "object"},
            "interventions": {"type": "array", "items": {"$ref": "#/$defs/intervention"}},
            "guidance": {"type": "array", "items": {"$ref": "#/$defs/guidance"}},
        },
        "$defs": {"intervention": intervention, "guidance": guidance},
    }


@public_cache
@require_safe
def export_schema_view(request: HttpRequest) -> HttpResponse:
    return _json(export_schema(_site(request)), "application/schema+json")
